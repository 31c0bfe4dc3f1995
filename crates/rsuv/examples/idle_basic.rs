//! The book's first program (`idle-basic`): an idle handle counts
//! iterations while the loop has nothing else to do, and stops itself.

use rsuv::{Idle, Loop, RunMode};
use std::cell::Cell;

fn main() -> Result<(), rsuv::Error> {
    let lp = Loop::new()?;
    let counter = Cell::new(0u64);
    let idler = Idle::new(&lp)?;
    idler.start(move |idle| {
        counter.set(counter.get() + 1);
        if counter.get() >= 100_000 {
            println!("counted {} idle iterations", counter.get());
            idle.stop();
        }
    })?;
    println!("Idling...");
    lp.run(RunMode::Default);
    Ok(())
}
