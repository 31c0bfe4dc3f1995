//! The timer heap: an array-backed 4-ary min-heap keyed by (due, start
//! sequence), so timers with equal due times fire in start order.
//!
//! Each timer's position is kept in its handle's record (`HeapPositions`),
//! so stopping one is O(log n) with no search; the array only grows, so
//! start/stop never allocate once warm.
//! Four children per node halve the depth of a binary heap, and with it the
//! position updates, which land all over memory with a million timers; an
//! entry is 16 bytes, so a node's children share a cache line or two.
//!
//! The start sequence is kept in 32 bits and compared with wrapping
//! arithmetic: two timers due in the same millisecond are ordered by start
//! unless 2^31 other starts came between them.

use crate::handle::{HandleId, NIL};

#[derive(Clone, Copy)]
struct Entry {
    due: u64,
    seq: u32,
    id: u32,
}

impl Entry {
    fn before(&self, other: &Entry) -> bool {
        self.due < other.due
            || (self.due == other.due && (self.seq.wrapping_sub(other.seq) as i32) < 0)
    }
}

const ARITY: usize = 4;

/// Where each timer's heap position is kept: `NIL` when not in the heap.
pub(crate) trait HeapPositions {
    fn heap_pos(&self, id: u32) -> u32;
    fn set_heap_pos(&mut self, id: u32, pos: u32);
}

#[derive(Default)]
pub(crate) struct TimerHeap {
    heap: Vec<Entry>,
}

impl TimerHeap {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// The earliest due time, if any timer is armed.
    pub fn next_due(&self) -> Option<u64> {
        self.heap.first().map(|e| e.due)
    }

    pub fn push(&mut self, pos: &mut impl HeapPositions, id: HandleId, due: u64, seq: u64) {
        debug_assert_eq!(pos.heap_pos(id.0), NIL);
        self.heap.push(Entry {
            due,
            seq: seq as u32,
            id: id.0,
        });
        self.sift_up(pos, self.heap.len() - 1);
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub fn pop_due(&mut self, pos: &mut impl HeapPositions, now: u64) -> Option<HandleId> {
        let top = *self.heap.first()?;
        if top.due > now {
            return None;
        }
        self.remove_at(pos, 0);
        Some(HandleId(top.id))
    }

    pub fn remove(&mut self, pos: &mut impl HeapPositions, id: HandleId) -> bool {
        match pos.heap_pos(id.0) {
            NIL => false,
            p => {
                self.remove_at(pos, p as usize);
                true
            }
        }
    }

    fn remove_at(&mut self, pos: &mut impl HeapPositions, i: usize) {
        let removed = self.heap.swap_remove(i);
        pos.set_heap_pos(removed.id, NIL);
        if i < self.heap.len() {
            // The moved entry came from the bottom: it may belong above or below.
            if i > 0 && self.heap[i].before(&self.heap[(i - 1) / ARITY]) {
                self.sift_up(pos, i);
            } else {
                self.sift_down(pos, i);
            }
        }
    }

    fn sift_up(&mut self, pos: &mut impl HeapPositions, mut i: usize) {
        let e = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if !e.before(&self.heap[parent]) {
                break;
            }
            self.heap[i] = self.heap[parent];
            pos.set_heap_pos(self.heap[i].id, i as u32);
            i = parent;
        }
        self.heap[i] = e;
        pos.set_heap_pos(e.id, i as u32);
    }

    fn sift_down(&mut self, pos: &mut impl HeapPositions, mut i: usize) {
        let e = self.heap[i];
        let n = self.heap.len();
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let mut child = first;
            for c in first + 1..(first + ARITY).min(n) {
                if self.heap[c].before(&self.heap[child]) {
                    child = c;
                }
            }
            if !self.heap[child].before(&e) {
                break;
            }
            self.heap[i] = self.heap[child];
            pos.set_heap_pos(self.heap[i].id, i as u32);
            i = child;
        }
        self.heap[i] = e;
        pos.set_heap_pos(e.id, i as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions in a plain array, as the registry keeps them in records.
    struct Positions(Vec<u32>);

    impl HeapPositions for Positions {
        fn heap_pos(&self, id: u32) -> u32 {
            self.0.get(id as usize).copied().unwrap_or(NIL)
        }

        fn set_heap_pos(&mut self, id: u32, pos: u32) {
            if self.0.len() <= id as usize {
                self.0.resize(id as usize + 1, NIL);
            }
            self.0[id as usize] = pos;
        }
    }

    fn drain(h: &mut TimerHeap, p: &mut Positions) -> Vec<u32> {
        std::iter::from_fn(|| h.pop_due(p, u64::MAX).map(|id| id.0)).collect()
    }

    #[test]
    fn orders_by_due_then_start_sequence() {
        let mut h = TimerHeap::default();
        let mut p = Positions(Vec::new());
        h.push(&mut p, HandleId(0), 50, 0);
        h.push(&mut p, HandleId(1), 10, 1);
        h.push(&mut p, HandleId(2), 50, 2);
        h.push(&mut p, HandleId(3), 10, 3);
        h.push(&mut p, HandleId(4), 0, 4);
        assert_eq!(h.next_due(), Some(0));
        assert_eq!(h.pop_due(&mut p, 5), Some(HandleId(4)));
        assert_eq!(h.pop_due(&mut p, 5), None, "nothing else due at 5");
        assert_eq!(drain(&mut h, &mut p), vec![1, 3, 0, 2]);
    }

    #[test]
    fn remove_anywhere_keeps_heap_valid() {
        // A deterministic pseudo-random mix checked against a sorted model.
        let mut h = TimerHeap::default();
        let mut p = Positions(Vec::new());
        let mut model: Vec<(u64, u64, u32)> = Vec::new();
        let mut x: u64 = 12345;
        let mut seq = 0;
        for round in 0..2000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let id = (x >> 33) as u32 % 300;
            if p.heap_pos(id) != NIL {
                assert!(h.remove(&mut p, HandleId(id)));
                model.retain(|m| m.2 != id);
            } else {
                let due = (x >> 40) % 100;
                h.push(&mut p, HandleId(id), due, seq);
                model.push((due, seq, id));
                seq += 1;
            }
            if round % 500 == 0 {
                assert!(!h.remove(&mut p, HandleId(1000)));
            }
        }
        model.sort();
        assert_eq!(h.len(), model.len());
        assert_eq!(
            drain(&mut h, &mut p),
            model.iter().map(|m| m.2).collect::<Vec<_>>()
        );
    }

    #[test]
    fn start_order_survives_the_sequence_wrapping() {
        let mut h = TimerHeap::default();
        let mut p = Positions(Vec::new());
        let base = u32::MAX as u64 - 2;
        for k in 0..6u64 {
            h.push(&mut p, HandleId(k as u32), 7, base + k);
        }
        assert_eq!(drain(&mut h, &mut p), vec![0, 1, 2, 3, 4, 5]);
    }
}
