//! The book's `ref-timer` (utilities chapter): a repeating "garbage
//! collector" timer is unreferenced, so it runs only while real work keeps
//! the loop alive; the loop ends when the job's timer has fired.

use rsuv::{Loop, RunMode, Timer};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

fn main() -> Result<(), rsuv::Error> {
    let lp = Loop::new()?;
    let collections = Rc::new(Cell::new(0));
    let gc = Timer::new(&lp)?;
    let c = collections.clone();
    gc.start(Duration::ZERO, Duration::from_millis(5), move |_| {
        c.set(c.get() + 1);
    })?;
    gc.unref();

    let job = Timer::new(&lp)?;
    job.start(Duration::from_millis(50), Duration::ZERO, |_| {
        println!("fake job done");
    })?;
    lp.run(RunMode::Default);
    println!("collected {} times while the job ran", collections.get());
    assert!(
        collections.get() >= 1,
        "the gc timer ran while the job kept the loop alive"
    );
    assert!(
        gc.is_active(),
        "still active, but it does not keep the loop alive"
    );
    Ok(())
}
