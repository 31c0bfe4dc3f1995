//! The book's `queue-work` (threads chapter): Fibonacci numbers computed on
//! the thread pool, each reported on the loop thread when it is done.

use rsuv::{Loop, RunMode};

fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn main() -> Result<(), rsuv::Error> {
    let lp = Loop::new()?;
    for n in 20..30u64 {
        lp.queue_work(
            move || fib(n),
            move |r| match r {
                Ok(v) => println!("fib({n}) = {v}"),
                Err(e) => println!("fib({n}) failed: {e}"),
            },
        );
    }
    lp.run(RunMode::Default);
    Ok(())
}
