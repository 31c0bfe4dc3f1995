//! [`Loop::queue_work`]: a closure on the thread pool, then a closure on
//! the loop with its result (`uv_queue_work`).
//!
//! The engine's pool knows a job by a token and two plain functions. Here
//! the token is the address of the job's result cell, unique while the job
//! is queued, and the closures wait in two tables: one shared with the
//! pool threads (the work), one on the loop thread (the completion).

use crate::error::{Error, Result};
use crate::event_loop::Loop;
use rsuv_core::threadpool::{self, CANCELED};
use rsuv_core::Token;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Work = Box<dyn FnOnce() + Send>;
type After = Box<dyn FnOnce(i32)>;

/// Work closures waiting for a pool thread, by token.
static WORK: Mutex<Option<HashMap<Token, Work>>> = Mutex::new(None);

thread_local! {
    /// Completions waiting for the loop thread, by token.
    static AFTER: RefCell<HashMap<Token, After>> = RefCell::new(HashMap::new());
}

fn run_work(token: Token) {
    let work = WORK
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_mut()
        .and_then(|m| m.remove(&token));
    if let Some(work) = work {
        work();
    }
}

fn after_work(token: Token, status: i32) {
    if status == CANCELED {
        // The work never ran: drop it here, on the loop thread.
        let work = WORK
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
            .and_then(|m| m.remove(&token));
        drop(work);
    }
    if let Some(after) = AFTER.with(|a| a.borrow_mut().remove(&token)) {
        after(status);
    }
}

impl Loop {
    /// Runs `work` on the thread pool, then `after` on this loop's thread
    /// with its result (`uv_queue_work`). The request keeps the loop alive
    /// until `after` has run.
    pub fn queue_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
        after: impl FnOnce(Result<T>) + 'static,
    ) {
        let result: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
        // The result's cell lives until the completion, so its address is
        // unique among queued jobs.
        let token = Arc::as_ptr(&result) as usize;
        let slot = result.clone();
        WORK.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(HashMap::new)
            .insert(
                token,
                Box::new(move || {
                    let value = work();
                    *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
                }),
            );
        AFTER.with(|a| {
            a.borrow_mut().insert(
                token,
                Box::new(move |status| {
                    let value = result.lock().unwrap_or_else(PoisonError::into_inner).take();
                    match value {
                        Some(v) if status == 0 => after(Ok(v)),
                        _ => after(Err(Error::from_code(status.min(-1)))),
                    }
                }),
            )
        });
        let shared = {
            let mut l = self.inner.engine.borrow_mut();
            l.req_started();
            l.shared().clone()
        };
        threadpool::submit(token, run_work, after_work, shared);
    }
}
