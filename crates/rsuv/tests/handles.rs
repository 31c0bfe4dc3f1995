//! The safe API against libuv's semantics: callback order, re-entrancy,
//! drop and close, references, errors.

use rsuv::{Async, Check, Error, Idle, Loop, Prepare, RunMode, Timer};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);
const ZERO: Duration = Duration::ZERO;

fn log() -> Rc<RefCell<Vec<String>>> {
    Rc::new(RefCell::new(Vec::new()))
}

#[test]
fn timers_due_together_fire_in_start_order() {
    let lp = Loop::new().unwrap();
    let seen = log();
    let timers: Vec<Timer> = (0..5).map(|_| Timer::new(&lp).unwrap()).collect();
    for (i, t) in timers.iter().enumerate().rev() {
        let seen = seen.clone();
        t.start(MS, ZERO, move |_| seen.borrow_mut().push(i.to_string()))
            .unwrap();
    }
    assert!(!lp.run(RunMode::Default));
    assert_eq!(*seen.borrow(), ["4", "3", "2", "1", "0"]);
    assert!(timers.iter().all(|t| !t.is_active()));
}

#[test]
fn repeating_timer_stops_itself_and_restarts_with_a_new_callback() {
    let lp = Loop::new().unwrap();
    let seen = log();
    let t = Timer::new(&lp).unwrap();
    let s = seen.clone();
    let n = Cell::new(0);
    t.start(MS, MS, move |t| {
        n.set(n.get() + 1);
        s.borrow_mut().push(format!("a{}", n.get()));
        if n.get() == 3 {
            let s = s.clone();
            // Replaces the running callback from inside it.
            t.start(MS, ZERO, move |_| s.borrow_mut().push("b".into()))
                .unwrap();
        }
    })
    .unwrap();
    assert_eq!(t.repeat(), MS);
    lp.run(RunMode::Default);
    assert_eq!(*seen.borrow(), ["a1", "a2", "a3", "b"]);
    assert!(!t.is_active());
}

#[test]
fn again_needs_a_start_and_uses_the_repeat() {
    let lp = Loop::new().unwrap();
    let t = Timer::new(&lp).unwrap();
    assert_eq!(t.again(), Err(Error::EINVAL));
    let fired = Rc::new(Cell::new(0));
    let f = fired.clone();
    t.start(Duration::from_secs(3600), ZERO, move |t| {
        f.set(f.get() + 1);
        t.stop();
    })
    .unwrap();
    assert!(t.due_in() > Duration::from_secs(3000));
    t.set_repeat(MS);
    t.again().unwrap();
    assert!(t.due_in() <= MS);
    lp.run(RunMode::Default);
    assert_eq!(fired.get(), 1);
    assert_eq!(t.due_in(), ZERO);
}

#[test]
fn dropping_an_active_timer_closes_it_and_its_callback_never_runs() {
    let lp = Loop::new().unwrap();
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    let t = Timer::new(&lp).unwrap();
    t.start(ZERO, ZERO, move |_| f.set(true)).unwrap();
    assert!(lp.alive());
    drop(t);
    // As libuv: a pending close callback keeps the loop alive.
    assert!(lp.alive());
    assert!(!lp.run(RunMode::Default));
    assert!(!lp.alive());
    assert!(!fired.get());
    // The closure and what it captured are gone after the close phase.
    assert_eq!(Rc::strong_count(&fired), 1);
}

#[test]
fn close_calls_back_in_the_close_phase_once() {
    let lp = Loop::new().unwrap();
    let closed = Rc::new(Cell::new(0));
    let t = Timer::new(&lp).unwrap();
    t.start(Duration::from_secs(60), ZERO, |_| unreachable!())
        .unwrap();
    let c = closed.clone();
    t.close(move || c.set(c.get() + 1));
    assert!(t.is_closing());
    assert!(!t.is_active());
    // A second close, and starting a closing handle, are refused quietly.
    let c = closed.clone();
    t.close(move || c.set(c.get() + 10));
    assert_eq!(t.start(MS, ZERO, |_| {}), Err(Error::EINVAL));
    assert_eq!(closed.get(), 0, "not before the close phase");
    lp.run(RunMode::NoWait);
    assert_eq!(closed.get(), 1);
    assert!(t.is_closing(), "a closed handle counts as closing");
    drop(t);
    assert_eq!(Rc::strong_count(&closed), 1);
}

#[test]
fn a_callback_closes_its_own_handle_and_another() {
    let lp = Loop::new().unwrap();
    let seen = log();
    let other = Rc::new(Timer::new(&lp).unwrap());
    other.start(MS, ZERO, |_| unreachable!()).unwrap();
    let t = Timer::new(&lp).unwrap();
    let (s, o) = (seen.clone(), other.clone());
    t.start(ZERO, MS, move |t| {
        let s2 = s.clone();
        t.close(move || s2.borrow_mut().push("self closed".into()));
        let s3 = s.clone();
        o.close(move || s3.borrow_mut().push("other closed".into()));
        s.borrow_mut().push("fired".into());
    })
    .unwrap();
    lp.run(RunMode::Default);
    // libuv runs close callbacks last closed first.
    assert_eq!(*seen.borrow(), ["fired", "other closed", "self closed"]);
}

#[test]
fn unref_lets_the_loop_end_and_ref_brings_it_back() {
    let lp = Loop::new().unwrap();
    let t = Timer::new(&lp).unwrap();
    t.start(Duration::from_secs(60), ZERO, |_| {}).unwrap();
    assert!(t.has_ref());
    t.unref();
    assert!(!t.has_ref());
    assert!(t.is_active());
    assert!(
        !lp.run(RunMode::Default),
        "an unreferenced timer does not hold the loop"
    );
    t.ref_();
    assert!(lp.alive());
}

#[test]
fn watchers_run_in_phase_order_each_iteration() {
    let lp = Loop::new().unwrap();
    let seen = log();
    let idle = Idle::new(&lp).unwrap();
    let prepare = Prepare::new(&lp).unwrap();
    let check = Check::new(&lp).unwrap();
    let s = seen.clone();
    check
        .start(move |_| s.borrow_mut().push("check".into()))
        .unwrap();
    let s = seen.clone();
    prepare
        .start(move |_| s.borrow_mut().push("prepare".into()))
        .unwrap();
    let s = seen.clone();
    let n = Cell::new(0);
    idle.start(move |idle| {
        s.borrow_mut().push("idle".into());
        n.set(n.get() + 1);
        if n.get() == 2 {
            idle.stop();
        }
    })
    .unwrap();
    prepare.unref();
    check.unref();
    lp.run(RunMode::Default);
    assert_eq!(
        *seen.borrow(),
        ["idle", "prepare", "check", "idle", "prepare", "check"]
    );
}

#[test]
fn async_sends_from_threads_coalesce_and_wake_the_loop() {
    let lp = Loop::new().unwrap();
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let a = Async::new(&lp, move |a| {
        c.set(c.get() + 1);
        a.close(|| {});
    })
    .unwrap();
    assert!(a.is_active());
    let sender = a.sender();
    let worker = std::thread::spawn(move || {
        for _ in 0..1000 {
            sender.send();
        }
        sender
    });
    let sender = worker.join().unwrap();
    lp.run(RunMode::Default);
    assert_eq!(calls.get(), 1, "sends before the callback coalesce");
    sender.send(); // after close: nothing happens
    assert!(!lp.run(RunMode::NoWait));
    assert_eq!(calls.get(), 1);
}

#[test]
fn stop_and_nested_run_from_callbacks() {
    let lp = Loop::new().unwrap();
    let seen = log();
    let outer = Timer::new(&lp).unwrap();
    let inner = Rc::new(Timer::new(&lp).unwrap());
    let (s, i) = (seen.clone(), inner.clone());
    outer
        .start(MS, ZERO, move |t| {
            s.borrow_mut().push("outer".into());
            let s2 = s.clone();
            i.start(MS, ZERO, move |_| s2.borrow_mut().push("inner".into()))
                .unwrap();
            // A nested run, as libuv allows.
            t.get_loop().run(RunMode::Default);
            s.borrow_mut().push("outer done".into());
        })
        .unwrap();
    lp.run(RunMode::Default);
    assert_eq!(*seen.borrow(), ["outer", "inner", "outer done"]);

    let forever = Timer::new(&lp).unwrap();
    forever.start(ZERO, MS, |t| t.get_loop().stop()).unwrap();
    assert!(lp.run(RunMode::Default), "stopped while alive");
    let before = lp.now();
    lp.update_time();
    assert!(lp.now() >= before);
    assert!(lp.metrics().loop_count >= 1);
}

#[test]
fn many_handles_reuse_slots() {
    let lp = Loop::new().unwrap();
    let fired = Rc::new(Cell::new(0));
    for round in 0..3 {
        let timers: Vec<Timer> = (0..1000)
            .map(|_| {
                let t = Timer::new(&lp).unwrap();
                let f = fired.clone();
                t.start(ZERO, ZERO, move |_| f.set(f.get() + 1)).unwrap();
                t
            })
            .collect();
        lp.run(RunMode::Default);
        drop(timers);
        lp.run(RunMode::Default);
        assert_eq!(fired.get(), 1000 * (round + 1));
        assert_eq!(Rc::strong_count(&fired), 1);
    }
}

#[test]
fn errors_carry_libuv_codes_and_names() {
    let e = Error::EINVAL;
    assert_eq!(e.code(), -22);
    assert_eq!(e.name(), "EINVAL");
    assert_eq!(e.message(), "invalid argument");
    assert_eq!(e.to_string(), "EINVAL: invalid argument");
    let io = std::io::Error::from_raw_os_error(2);
    assert_eq!(Error::from(io).name(), "ENOENT");
    assert_eq!(Error::from_code(-99999).name(), "Unknown system error");
}

#[test]
fn a_closed_handle_never_reaches_the_handle_that_reuses_its_slot() {
    let lp = Loop::new().unwrap();
    let old = Timer::new(&lp).unwrap();
    old.close(|| {});
    lp.run(RunMode::Default);
    let fired = Rc::new(Cell::new(false));
    let new = Timer::new(&lp).unwrap();
    let f = fired.clone();
    new.start(Duration::from_secs(60), ZERO, move |_| f.set(true))
        .unwrap();
    // The old value is closed: it cannot start, stop or unref the new one.
    assert_eq!(
        old.start(ZERO, ZERO, |_| unreachable!()),
        Err(Error::EINVAL)
    );
    old.stop();
    old.unref();
    old.close(|| unreachable!());
    assert!(old.is_closing());
    assert!(new.is_active());
    assert!(new.has_ref());
    assert!(!new.is_closing());
    drop(old);
    assert!(new.is_active());
}
