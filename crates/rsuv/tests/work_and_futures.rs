//! The thread pool from Rust (`queue_work`) and the `async` face driven by
//! the loop (`block_on`, `sleep`, `work`).

use rsuv::{Idle, Loop, RunMode, Timer};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

#[test]
fn queue_work_runs_off_the_loop_thread_and_reports_back_on_it() {
    let lp = Loop::new().unwrap();
    let loop_thread = std::thread::current().id();
    let got = Rc::new(RefCell::new(Vec::new()));
    for i in 0..100u64 {
        let g = got.clone();
        lp.queue_work(
            move || (i, std::thread::current().id()),
            move |r| {
                let (i, worker) = r.unwrap();
                assert_ne!(worker, loop_thread);
                assert_eq!(std::thread::current().id(), loop_thread);
                g.borrow_mut().push(i);
            },
        );
    }
    assert!(lp.alive(), "queued work keeps the loop alive");
    assert!(!lp.run(RunMode::Default));
    let mut got = got.borrow().clone();
    got.sort();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn block_on_awaits_work_and_sleep_while_handles_run() {
    let lp = Loop::new().unwrap();
    let idle_calls = Rc::new(Cell::new(0u32));
    let idle = Idle::new(&lp).unwrap();
    let c = idle_calls.clone();
    idle.start(move |_| c.set(c.get() + 1)).unwrap();
    let l = lp.clone();
    let out = lp.block_on(async move {
        let a = l.work(|| 6 * 7).await.unwrap();
        l.sleep(Duration::from_millis(2)).await.unwrap();
        let b = l.work(move || a + 1).await.unwrap();
        b
    });
    assert_eq!(out, 43);
    assert!(
        idle_calls.get() > 0,
        "the idle handle ran while the future waited"
    );
}

#[test]
fn a_timer_callback_and_a_future_on_the_same_loop_interleave_in_order() {
    let lp = Loop::new().unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let t = Timer::new(&lp).unwrap();
    let s = seen.clone();
    t.start(Duration::from_millis(1), Duration::ZERO, move |_| {
        s.borrow_mut().push("callback at 1 ms")
    })
    .unwrap();
    let (l, s) = (lp.clone(), seen.clone());
    lp.block_on(async move {
        l.sleep(Duration::from_millis(20)).await.unwrap();
        s.borrow_mut().push("future after 20 ms");
    });
    assert_eq!(*seen.borrow(), ["callback at 1 ms", "future after 20 ms"]);
}

/// Ready once another thread has set its flag; that thread wakes it.
struct FromThread {
    flag: Arc<AtomicBool>,
    started: bool,
}

impl Future for FromThread {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.flag.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        if !self.started {
            self.started = true;
            let (flag, waker) = (self.flag.clone(), cx.waker().clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5));
                flag.store(true, Ordering::SeqCst);
                waker.wake();
            });
        }
        Poll::Pending
    }
}

#[test]
fn block_on_with_nothing_alive_sleeps_until_another_thread_wakes_it() {
    let lp = Loop::new().unwrap();
    assert!(!lp.alive());
    lp.block_on(FromThread {
        flag: Arc::new(AtomicBool::new(false)),
        started: false,
    });
}

#[test]
fn dropping_a_sleep_stops_its_timer() {
    let lp = Loop::new().unwrap();
    let l = lp.clone();
    lp.block_on(async move {
        let long = l.sleep(Duration::from_secs(3600));
        let mut long = Box::pin(long);
        // Poll it once so its timer starts, then drop it.
        std::future::poll_fn(|cx| {
            assert!(long.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        drop(long);
    });
    // With the timer closed, nothing keeps the loop alive.
    assert!(!lp.run(RunMode::Default));
}
