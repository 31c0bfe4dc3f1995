//! The book's `progress` (threads chapter): a worker thread reports its
//! progress to the loop through an async handle; sends between two loop
//! iterations coalesce, so the loop sees the latest value. (The book's
//! worker is a `uv_queue_work` job; this one is a std thread until the
//! crate has `queue_work`.)

use rsuv::{Async, Loop, RunMode};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

fn main() -> Result<(), rsuv::Error> {
    let lp = Loop::new()?;
    let percent = Arc::new(AtomicU32::new(0));
    let seen = percent.clone();
    let progress = Async::new(&lp, move |a| {
        let p = seen.load(Ordering::SeqCst);
        println!("downloaded {p}%");
        if p == 100 {
            a.close(|| println!("download finished"));
        }
    })?;
    let sender = progress.sender();
    let worker = std::thread::spawn(move || {
        for p in 1..=100 {
            percent.store(p, Ordering::SeqCst);
            sender.send();
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    });
    lp.run(RunMode::Default);
    worker.join().expect("the worker thread panicked");
    Ok(())
}
