//! The loop's handle registry: one record per initialized, not yet closed
//! handle, addressed by a small id stored in the handle's private area.
//!
//! Records live in a slab (`Vec` plus free list), so starting and stopping
//! handles never allocates, and are also linked in init order for `uv_walk`
//! (a record taken off that list stays valid until it is removed).
//! The caller's struct is known only by its address, the `token`: the engine
//! never dereferences it.

/// The address of the caller's C struct, used to call back into the C layer.
pub type Token = usize;

/// Index of a handle's record in its loop's registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HandleId(pub u32);

pub(crate) const NIL: u32 = u32::MAX;

/// What a handle is, as far as the engine's scheduling cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Async,
    Check,
    Idle,
    Prepare,
    Timer,
    /// Any handle type whose behaviour is not in the engine yet.
    Other,
    /// A watcher the C layer keeps for its own use (e.g. a loop's signal
    /// pipe): not reported by `uv_walk`, never keeping the loop alive or
    /// busy.
    Internal,
}

pub(crate) const ACTIVE: u8 = 1;
pub(crate) const REF: u8 = 2;
pub(crate) const CLOSING: u8 = 4;

pub(crate) struct Record {
    pub token: Token,
    pub kind: Kind,
    pub flags: u8,
    prev: u32,
    next: u32,
    /// On the init-order list (counted by `len`, seen by `iter`).
    linked: bool,
    /// For idle/prepare/check: the watcher-phase epoch when last started, so
    /// a handle started during a phase waits for the next one.
    pub start_epoch: u64,
    /// For timers: absolute due time in loop milliseconds, and the repeat.
    pub due: u64,
    pub repeat: u64,
    /// For timers: collected as due and waiting for its callback this round.
    pub ready: bool,
    /// For I/O handles: the descriptor watched, the epoll events wanted
    /// (0: not in the epoll set), and whether a pending callback is queued.
    pub fd: i32,
    pub interest: u32,
    pub pending: bool,
    /// The events the kernel has for this handle's descriptor (`NIL`: not
    /// registered), and whether `interest` changed since it was applied.
    pub kernel: u32,
    pub io_dirty: bool,
    /// For async handles: the index of its entry in the loop's async list,
    /// so closing one is O(1). (Fits in the record's padding.)
    pub async_slot: u32,
}

// A record per handle: keep it within one cache line.
const _: () = assert!(std::mem::size_of::<Record>() <= 64);

/// The slab of records with its init-order list.
#[derive(Default)]
pub(crate) struct Registry {
    records: Vec<Record>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    live: usize,
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            head: NIL,
            tail: NIL,
            ..Registry::default()
        }
    }

    pub fn insert(&mut self, token: Token, kind: Kind) -> HandleId {
        let rec = Record {
            token,
            kind,
            flags: REF,
            prev: self.tail,
            next: NIL,
            linked: true,
            start_epoch: 0,
            due: 0,
            repeat: 0,
            ready: false,
            fd: -1,
            interest: 0,
            pending: false,
            kernel: NIL,
            io_dirty: false,
            async_slot: NIL,
        };
        let id = match self.free.pop() {
            Some(i) => {
                self.records[i as usize] = rec;
                i
            }
            None => {
                self.records.push(rec);
                (self.records.len() - 1) as u32
            }
        };
        if self.tail == NIL {
            self.head = id;
        } else {
            self.records[self.tail as usize].next = id;
        }
        self.tail = id;
        self.live += 1;
        HandleId(id)
    }

    /// Takes `id` off the init-order list: `iter` and `len` no longer see
    /// it, but its record stays valid (`get` finds it) until `remove`.
    pub fn unlink(&mut self, id: HandleId) {
        let (prev, next, linked) = {
            let r = &self.records[id.0 as usize];
            (r.prev, r.next, r.linked)
        };
        if !linked {
            return;
        }
        if prev == NIL {
            self.head = next;
        } else {
            self.records[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.records[next as usize].prev = prev;
        }
        self.records[id.0 as usize].linked = false;
        self.live -= 1;
    }

    pub fn remove(&mut self, id: HandleId) {
        self.unlink(id);
        let r = &mut self.records[id.0 as usize];
        r.token = 0;
        r.kind = Kind::Other;
        self.free.push(id.0);
    }

    /// The record for `id` if it belongs to the struct at `token`: a handle
    /// that was never initialized, or was moved, is rejected instead of
    /// aliasing another handle's record.
    pub fn get(&self, id: HandleId, token: Token) -> Option<&Record> {
        self.records
            .get(id.0 as usize)
            .filter(|r| r.token == token && token != 0)
    }

    pub fn rec(&self, id: HandleId) -> &Record {
        &self.records[id.0 as usize]
    }

    pub fn rec_mut(&mut self, id: HandleId) -> &mut Record {
        &mut self.records[id.0 as usize]
    }

    pub fn is_live(&self, id: HandleId) -> bool {
        self.records
            .get(id.0 as usize)
            .is_some_and(|r| r.token != 0)
    }

    pub fn len(&self) -> usize {
        self.live
    }

    /// Ids in init order.
    pub fn iter(&self) -> impl Iterator<Item = HandleId> + '_ {
        let mut cur = self.head;
        std::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let id = cur;
            cur = self.records[id as usize].next;
            Some(HandleId(id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_keeps_init_order_and_reuses_slots() {
        let mut r = Registry::new();
        let a = r.insert(0x10, Kind::Timer);
        let b = r.insert(0x20, Kind::Idle);
        let c = r.insert(0x30, Kind::Async);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![a, b, c]);
        r.remove(b);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![a, c]);
        assert!(r.get(b, 0x20).is_none());
        let d = r.insert(0x40, Kind::Check);
        assert_eq!(d, b, "freed slot is reused");
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![a, c, d]);
        r.remove(a);
        r.remove(d);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![c]);
        assert_eq!(r.len(), 1);
        assert!(r.get(c, 0x31).is_none(), "wrong token is rejected");
        assert!(r.get(HandleId(99), 0x30).is_none());
    }

    #[test]
    fn unlinked_records_stay_valid_until_removed() {
        let mut r = Registry::new();
        let a = r.insert(0x10, Kind::Other);
        let b = r.insert(0x20, Kind::Other);
        r.unlink(a);
        r.unlink(a);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![b]);
        assert_eq!(r.len(), 1);
        assert!(r.get(a, 0x10).is_some());
        let c = r.insert(0x30, Kind::Other);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![b, c]);
        r.remove(a);
        assert!(r.get(a, 0x10).is_none());
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![b, c]);
        assert_eq!(r.len(), 2);
        assert_eq!(r.insert(0x40, Kind::Other), a, "its slot is reused");
    }
}
