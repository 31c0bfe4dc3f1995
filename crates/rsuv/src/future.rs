//! The `async` face: [`Loop::block_on`] drives a future with the loop
//! itself, and [`Loop::sleep`] and [`Loop::work`] are futures over timers
//! and the thread pool. Rust futures and C code written for libuv can
//! share one loop and one thread.

use crate::error::Result;
use crate::event_loop::{Loop, RunMode};
use crate::timer::Timer;
use std::cell::RefCell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Duration;

/// Wakes [`Loop::block_on`]: from the loop's own callbacks (a flag), from
/// another thread while the loop waits in the kernel (the loop's wakeup),
/// or while it has nothing to run (the thread is parked).
struct LoopWaker {
    woken: AtomicBool,
    shared: Arc<rsuv_core::Shared>,
    thread: Thread,
}

impl Wake for LoopWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.shared.wake();
        self.thread.unpark();
    }
}

impl Loop {
    /// Runs the loop until `fut` completes, and returns its output. Between
    /// polls of the future the loop runs one iteration at a time, so every
    /// handle's callbacks run as usual; with nothing to run, the thread
    /// sleeps until the future is woken.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let waker = Arc::new(LoopWaker {
            woken: AtomicBool::new(true),
            shared: self.inner.engine.borrow().shared().clone(),
            thread: std::thread::current(),
        });
        let task_waker = Waker::from(waker.clone());
        let mut cx = Context::from_waker(&task_waker);
        let mut fut = pin!(fut);
        loop {
            if waker.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                    return v;
                }
                continue;
            }
            if self.alive() {
                self.run(RunMode::Once);
            } else {
                std::thread::park();
            }
        }
    }

    /// A future that completes `delay` after the loop's cached time (a
    /// one-shot [`Timer`]; dropping the future stops it).
    pub fn sleep(&self, delay: Duration) -> Sleep {
        Sleep {
            lp: self.clone(),
            delay,
            state: None,
        }
    }

    /// [`Loop::queue_work`] as a future: `work` runs on the thread pool and
    /// the future gives its result. Dropping the future does not stop the
    /// work; its result is dropped when it comes.
    pub fn work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = Result<T>> {
        let state: Rc<RefCell<Pending<T>>> = Rc::new(RefCell::new(Pending::Waiting(None)));
        let s = state.clone();
        self.queue_work(work, move |r| {
            let old = std::mem::replace(&mut *s.borrow_mut(), Pending::Done(Some(r)));
            if let Pending::Waiting(Some(w)) = old {
                w.wake();
            }
        });
        WorkFuture { state }
    }
}

enum Pending<T> {
    Waiting(Option<Waker>),
    Done(Option<Result<T>>),
}

struct WorkFuture<T> {
    state: Rc<RefCell<Pending<T>>>,
}

impl<T> Future for WorkFuture<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let mut s = self.state.borrow_mut();
        match &mut *s {
            Pending::Waiting(w) => {
                *w = Some(cx.waker().clone());
                Poll::Pending
            }
            Pending::Done(r) => match r.take() {
                Some(r) => Poll::Ready(r),
                None => Poll::Pending,
            },
        }
    }
}

/// The future of [`Loop::sleep`].
pub struct Sleep {
    lp: Loop,
    delay: Duration,
    state: Option<(Timer, Rc<RefCell<Pending<()>>>)>,
}

impl Future for Sleep {
    type Output = Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.state.is_none() {
            let timer = match Timer::new(&self.lp) {
                Ok(t) => t,
                Err(e) => return Poll::Ready(Err(e)),
            };
            let pending = Rc::new(RefCell::new(Pending::Waiting(None)));
            let p = pending.clone();
            let started = timer.start(self.delay, Duration::ZERO, move |_| {
                let old = std::mem::replace(&mut *p.borrow_mut(), Pending::Done(Some(Ok(()))));
                if let Pending::Waiting(Some(w)) = old {
                    w.wake();
                }
            });
            if let Err(e) = started {
                return Poll::Ready(Err(e));
            }
            self.state = Some((timer, pending));
        }
        let Some((_, pending)) = &self.state else {
            return Poll::Pending;
        };
        let mut s = pending.borrow_mut();
        match &mut *s {
            Pending::Waiting(w) => {
                *w = Some(cx.waker().clone());
                Poll::Pending
            }
            Pending::Done(_) => Poll::Ready(Ok(())),
        }
    }
}
