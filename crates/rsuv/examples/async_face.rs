//! The `async` face: a future awaits thread-pool work and a sleep on the
//! loop, while a callback-style timer ticks on the same loop and thread.

use rsuv::{Loop, Timer};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

fn main() -> Result<(), rsuv::Error> {
    let lp = Loop::new()?;
    let ticks = Rc::new(Cell::new(0));
    let ticker = Timer::new(&lp)?;
    let t = ticks.clone();
    ticker.start(
        Duration::from_millis(1),
        Duration::from_millis(1),
        move |_| t.set(t.get() + 1),
    )?;
    ticker.unref();

    let l = lp.clone();
    let total = lp.block_on(async move {
        let mut total = 0u64;
        for chunk in 0..4u64 {
            total += l
                .work(move || (chunk * 1000..(chunk + 1) * 1000).sum::<u64>())
                .await?;
            l.sleep(Duration::from_millis(2)).await?;
        }
        Ok::<u64, rsuv::Error>(total)
    })?;
    println!(
        "sum 0..4000 = {total}, while the timer ticked {} times",
        ticks.get()
    );
    assert_eq!(total, (0..4000).sum::<u64>());
    Ok(())
}
