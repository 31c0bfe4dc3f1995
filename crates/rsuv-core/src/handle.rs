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

/// The engine's own marks on a record (`Record::marks`).
const LINKED: u8 = 1;
const READY: u8 = 2;
const PENDING: u8 = 4;
const IO_DIRTY: u8 = 8;
const INTERNAL: u8 = 16;
/// The payload holds the close note (`Record::set_close_entry`).
const NOTED: u8 = 32;

/// A handle's record: what every kind needs, and a small payload whose
/// meaning depends on the kind, so a record costs 40 bytes whatever the
/// handle (issue 12: memory per handle).
///
/// | kind | payload words |
/// |---|---|
/// | timer | due (2), repeat (2), heap position (1) |
/// | idle, prepare, check | start epoch (2) |
/// | async | async-list slot (1) |
/// | other, internal (I/O) | fd, interest, kernel events |
/// | any, once closing | close callback (2), next closing (1); a timer keeps its repeat (2) |
///
/// Reading a field of another kind gives its empty value (e.g. a timer
/// watches no descriptor), so a record whose slot was reused by a handle
/// of another kind is never taken for the old one's I/O. Once the close
/// note is in, the kind's fields read empty and ignore writes, except a
/// timer's repeat, which `uv_timer_get_repeat` still reports.
pub(crate) struct Record {
    pub token: Token,
    prev: u32,
    /// The next record in init order, or in the free list once removed.
    next: u32,
    pub kind: Kind,
    pub flags: u8,
    marks: u8,
    /// The C layer's tag for the close callback (`CloseNote::tag`).
    close_tag: u8,
    payload: [u32; 5],
}

// A record per handle: its size is the engine's cost per handle.
const _: () = assert!(std::mem::size_of::<Record>() == 40);

fn join(lo: u32, hi: u32) -> u64 {
    u64::from(lo) | (u64::from(hi) << 32)
}

fn split(v: u64) -> (u32, u32) {
    (v as u32, (v >> 32) as u32)
}

impl Record {
    fn new(token: Token, kind: Kind, prev: u32) -> Record {
        let payload = match kind {
            Kind::Timer => [0, 0, 0, 0, NIL],
            Kind::Async => [NIL, 0, 0, 0, 0],
            Kind::Other | Kind::Internal => [-1i32 as u32, 0, NIL, 0, 0],
            Kind::Idle | Kind::Prepare | Kind::Check => [0; 5],
        };
        Record {
            token,
            prev,
            next: NIL,
            kind,
            flags: REF,
            marks: LINKED,
            close_tag: 0,
            payload,
        }
    }

    /// The kind whose fields the payload holds; `None` once it holds the
    /// close note.
    fn shape(&self) -> Option<Kind> {
        (self.marks & NOTED == 0).then_some(self.kind)
    }

    fn is_io(&self) -> bool {
        matches!(self.shape(), Some(Kind::Other | Kind::Internal))
    }

    /// Closing: keeps the close callback, the C layer's tag and the next
    /// record in the loop's closing chain in the payload, so closing a
    /// million handles queues them without allocating.
    pub fn set_close_entry(&mut self, callback: usize, tag: u8, next: u32) {
        let cb = callback as u64;
        (self.payload[0], self.payload[1]) = split(cb);
        self.payload[4] = next;
        self.close_tag = tag;
        self.marks |= NOTED;
    }

    /// The close callback, tag and next closing record, if closing.
    pub fn close_entry(&self) -> Option<(usize, u8, u32)> {
        (self.marks & NOTED != 0).then(|| {
            let cb = join(self.payload[0], self.payload[1]) as usize;
            (cb, self.close_tag, self.payload[4])
        })
    }

    fn mark(&mut self, m: u8, on: bool) {
        if on {
            self.marks |= m;
        } else {
            self.marks &= !m;
        }
    }

    fn linked(&self) -> bool {
        self.marks & LINKED != 0
    }

    /// The engine's own watcher or timer (`Loop::init_internal`).
    pub fn is_internal(&self) -> bool {
        self.marks & INTERNAL != 0
    }

    pub fn set_internal(&mut self) {
        self.mark(INTERNAL, true);
    }

    /// Timers: collected as due and waiting for its callback this round.
    pub fn ready(&self) -> bool {
        self.marks & READY != 0
    }

    pub fn set_ready(&mut self, on: bool) {
        self.mark(READY, on);
    }

    /// I/O handles: a pending callback is queued.
    pub fn pending(&self) -> bool {
        self.marks & PENDING != 0
    }

    pub fn set_pending(&mut self, on: bool) {
        self.mark(PENDING, on);
    }

    /// I/O handles: `interest` changed since it was applied to the kernel.
    pub fn io_dirty(&self) -> bool {
        self.marks & IO_DIRTY != 0
    }

    pub fn set_io_dirty(&mut self, on: bool) {
        self.mark(IO_DIRTY, on);
    }

    /// Timers: absolute due time in loop milliseconds.
    pub fn due(&self) -> u64 {
        match self.shape() {
            Some(Kind::Timer) => join(self.payload[0], self.payload[1]),
            _ => 0,
        }
    }

    pub fn repeat(&self) -> u64 {
        // Words 2 and 3 outlive the close note.
        match self.kind {
            Kind::Timer => join(self.payload[2], self.payload[3]),
            _ => 0,
        }
    }

    pub fn set_timer(&mut self, due: u64, repeat: u64) {
        debug_assert_eq!(self.kind, Kind::Timer);
        if self.shape() == Some(Kind::Timer) {
            (self.payload[0], self.payload[1]) = split(due);
            (self.payload[2], self.payload[3]) = split(repeat);
        }
    }

    pub fn set_repeat(&mut self, repeat: u64) {
        if self.kind == Kind::Timer {
            (self.payload[2], self.payload[3]) = split(repeat);
        }
    }

    /// Timers: the position in the timer heap (`NIL`: not in it).
    pub fn heap_pos(&self) -> u32 {
        match self.shape() {
            Some(Kind::Timer) => self.payload[4],
            _ => NIL,
        }
    }

    pub fn set_heap_pos(&mut self, pos: u32) {
        debug_assert_eq!(self.kind, Kind::Timer);
        if self.shape() == Some(Kind::Timer) {
            self.payload[4] = pos;
        }
    }

    /// Idle, prepare and check: the watcher-phase epoch when last started,
    /// so a handle started during a phase waits for the next one.
    pub fn start_epoch(&self) -> u64 {
        match self.shape() {
            Some(Kind::Idle | Kind::Prepare | Kind::Check) => {
                join(self.payload[0], self.payload[1])
            }
            _ => 0,
        }
    }

    pub fn set_start_epoch(&mut self, epoch: u64) {
        if matches!(self.shape(), Some(Kind::Idle | Kind::Prepare | Kind::Check)) {
            (self.payload[0], self.payload[1]) = split(epoch);
        }
    }

    /// Async handles: the index of its entry in the loop's async list, so
    /// closing one is O(1).
    pub fn async_slot(&self) -> u32 {
        match self.shape() {
            Some(Kind::Async) => self.payload[0],
            _ => NIL,
        }
    }

    pub fn set_async_slot(&mut self, slot: u32) {
        debug_assert_eq!(self.kind, Kind::Async);
        if self.shape() == Some(Kind::Async) {
            self.payload[0] = slot;
        }
    }

    /// I/O handles: the descriptor watched (-1: none).
    pub fn fd(&self) -> i32 {
        if self.is_io() {
            self.payload[0] as i32
        } else {
            -1
        }
    }

    /// I/O handles: the epoll events wanted (0: not watching).
    pub fn interest(&self) -> u32 {
        if self.is_io() {
            self.payload[1]
        } else {
            0
        }
    }

    /// I/O handles: the events the kernel has for the descriptor (`NIL`:
    /// not registered).
    pub fn kernel(&self) -> u32 {
        if self.is_io() {
            self.payload[2]
        } else {
            NIL
        }
    }

    pub fn set_watch(&mut self, fd: i32, interest: u32) {
        debug_assert!(
            matches!(self.kind, Kind::Other | Kind::Internal),
            "{:?} watches no descriptor",
            self.kind
        );
        if self.is_io() {
            self.payload[0] = fd as u32;
            self.payload[1] = interest;
        }
    }

    pub fn set_kernel(&mut self, events: u32) {
        if self.is_io() {
            self.payload[2] = events;
        }
    }
}

/// The slab of records with its init-order list; free slots are chained
/// through their `next`.
pub(crate) struct Registry {
    records: Vec<Record>,
    free: u32,
    head: u32,
    tail: u32,
    live: usize,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry::new()
    }
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            records: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            live: 0,
        }
    }

    pub fn insert(&mut self, token: Token, kind: Kind) -> HandleId {
        let rec = Record::new(token, kind, self.tail);
        let id = if self.free != NIL {
            let i = self.free;
            self.free = self.records[i as usize].next;
            self.records[i as usize] = rec;
            i
        } else {
            self.records.push(rec);
            (self.records.len() - 1) as u32
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
            (r.prev, r.next, r.linked())
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
        self.records[id.0 as usize].mark(LINKED, false);
        self.live -= 1;
    }

    pub fn remove(&mut self, id: HandleId) {
        self.unlink(id);
        let r = &mut self.records[id.0 as usize];
        r.token = 0;
        r.kind = Kind::Other;
        r.marks = 0;
        r.close_tag = 0;
        r.payload = [-1i32 as u32, 0, NIL, 0, 0];
        r.next = self.free;
        self.free = id.0;
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

impl crate::timer::HeapPositions for Registry {
    fn heap_pos(&self, id: u32) -> u32 {
        self.records[id as usize].heap_pos()
    }

    fn set_heap_pos(&mut self, id: u32, pos: u32) {
        self.records[id as usize].set_heap_pos(pos);
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
