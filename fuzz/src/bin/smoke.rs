//! Runs every fuzz target on stable Rust, without coverage guidance: its
//! seeds (fuzz/seeds/<target>/) and then random mutations of them for a
//! time budget, from a fixed seed so a run can be repeated. CI runs this;
//! libFuzzer (`cargo fuzz`) does the long runs.
//!
//! usage: smoke [SECONDS_PER_TARGET] [TARGET...]   (default 10, all)
//! Prints `fuzz <target>: N execs, 0 crashes`; on a broken rule prints the
//! input in hex and exits 1.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("addr", rsuv_fuzz::addr),
    ("idna", rsuv_fuzz::idna),
    ("wtf8", rsuv_fuzz::wtf8),
];

/// xorshift64*: small, fast, repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that parsers care about, to splice in.
const INTERESTING: &[&[u8]] = &[
    b".",
    b":",
    b"::",
    b"%",
    b"xn--",
    b"-",
    b"255",
    b"256",
    b"0x",
    b"\xff",
    b"\xc3\xa9",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x98\x80",
    b"\x00",
    b"1.2.3.4",
    b"ffff:",
    b"%lo",
    b"\xe2\x80\x8b",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &mut Vec<u8>) {
    let base = &seeds[rng.below(seeds.len())];
    input.clear();
    input.extend_from_slice(base);
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(7) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] = rng.next() as u8;
            }
            2 => input.insert(at, rng.next() as u8),
            3 if at < input.len() => {
                let n = 1 + rng.below(input.len() - at);
                input.drain(at..at + n);
            }
            4 => {
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                input.splice(at..at, piece.iter().copied());
            }
            5 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                input.splice(at..at, other[from..].iter().copied());
            }
            _ => {
                // Repeat a run, for length limits.
                if at < input.len() {
                    let n = 1 + rng.below(input.len() - at);
                    let piece: Vec<u8> = input[at..at + n].to_vec();
                    for _ in 0..rng.below(64) {
                        input.splice(at..at, piece.iter().copied());
                    }
                }
            }
        }
        input.truncate(4096);
    }
}

fn seeds_of(name: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(name);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    seeds.sort();
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    seeds
}

fn run_one(name: &str, target: Target, input: &[u8]) {
    if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!("fuzz {name}: CRASH on input (hex) {hex}");
        std::process::exit(1);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let only: Vec<String> = args.collect();
    for &(name, target) in TARGETS {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let seeds = seeds_of(name);
        let mut execs = 0u64;
        for s in &seeds {
            run_one(name, target, s);
            execs += 1;
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut input = Vec::new();
        while Instant::now() < deadline {
            for _ in 0..256 {
                mutate(&mut rng, &seeds, &mut input);
                run_one(name, target, &input);
                execs += 1;
            }
        }
        println!("fuzz {name}: {execs} execs, 0 crashes");
    }
}
