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
        let slot = Slot::new();
        let s = slot.clone();
        self.queue_work(work, move |r| s.complete(r));
        WorkFuture { slot }
    }
}

/// Where a callback leaves a future's output, waking the future.
struct Slot<T>(Rc<RefCell<Pending<T>>>);

enum Pending<T> {
    Waiting(Option<Waker>),
    Done(Option<T>),
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot(self.0.clone())
    }
}

impl<T> Slot<T> {
    fn new() -> Slot<T> {
        Slot(Rc::new(RefCell::new(Pending::Waiting(None))))
    }

    fn complete(&self, value: T) {
        let old = std::mem::replace(&mut *self.0.borrow_mut(), Pending::Done(Some(value)));
        if let Pending::Waiting(Some(w)) = old {
            w.wake();
        }
    }

    /// The output once, when it is there; else the waker is kept.
    fn poll(&self, cx: &Context<'_>) -> Poll<T> {
        match &mut *self.0.borrow_mut() {
            Pending::Waiting(w) => {
                *w = Some(cx.waker().clone());
                Poll::Pending
            }
            Pending::Done(v) => v.take().map_or(Poll::Pending, Poll::Ready),
        }
    }
}

struct WorkFuture<T> {
    slot: Slot<Result<T>>,
}

impl<T> Future for WorkFuture<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        self.slot.poll(cx)
    }
}

/// The future of [`Loop::sleep`].
pub struct Sleep {
    lp: Loop,
    delay: Duration,
    state: Option<(Timer, Slot<()>)>,
}

impl Future for Sleep {
    type Output = Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.state.is_none() {
            let timer = Timer::new(&self.lp)?;
            let slot = Slot::new();
            let s = slot.clone();
            timer.start(self.delay, Duration::ZERO, move |_| s.complete(()))?;
            self.state = Some((timer, slot));
        }
        match &self.state {
            Some((_, slot)) => slot.poll(cx).map(Ok),
            None => Poll::Pending,
        }
    }
}
