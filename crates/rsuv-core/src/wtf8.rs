//! libuv's WTF-8 <-> UTF-16 converters (`uv_utf16_to_wtf8` and friends).
//!
//! WTF-8 is UTF-8 that may also encode lone surrogates (U+D800..U+DFFF) as
//! ordinary three-byte sequences, so that any sequence of UTF-16 code units,
//! paired or not, survives a round trip. The rules below are libuv 1.52's,
//! including its leniencies, because programs see the results:
//!
//! - UTF-16 -> WTF-8: a high surrogate followed by a low one is one
//!   supplementary code point (four bytes); any other surrogate is encoded on
//!   its own (three bytes). Every input is valid.
//! - WTF-8 -> UTF-16: the input ends at its first 0 byte (or at the end of
//!   the slice, which counts as one). A sequence is rejected if its lead byte
//!   is a continuation byte, 0xC0, 0xC1 or above 0xF4, if a continuation byte
//!   is missing, or if it decodes above U+10FFFF. Like libuv, the decoder
//!   does *not* reject overlong three- and four-byte forms (`E0 80 80` is
//!   U+0000 and does not end the string) nor encoded surrogates, including
//!   two that together form a pair (they become the two code units).

/// The first code point of `units` and how many units (1 or 2) it takes: a
/// high surrogate directly followed by a low one is a pair, any other unit
/// stands for itself. `units` must not be empty.
fn first_code_point(units: &[u16]) -> (u32, usize) {
    match units {
        [hi @ 0xD800..=0xDBFF, lo @ 0xDC00..=0xDFFF, ..] => {
            let high = u32::from(*hi - 0xD800);
            let low = u32::from(*lo - 0xDC00);
            (0x10000 + (high << 10) + low, 2)
        }
        [unit, ..] => (u32::from(*unit), 1),
        [] => (0, 1),
    }
}

/// Bytes of the WTF-8 form of code point `cp` (at most U+10FFFF).
fn wtf8_width(cp: u32) -> usize {
    match cp {
        0..=0x7F => 1,
        0x80..=0x7FF => 2,
        0x800..=0xFFFF => 3,
        _ => 4,
    }
}

/// Writes the WTF-8 form of `cp` to the start of `out`, which must hold
/// `wtf8_width(cp)` bytes; returns that width.
fn encode_wtf8(cp: u32, out: &mut [u8; 4]) -> usize {
    // Continuation byte carrying bits `shift..shift + 6` of `cp`.
    let cont = |shift: u32| 0x80 | ((cp >> shift) & 0x3F) as u8;
    let width = wtf8_width(cp);
    *out = match width {
        1 => [cp as u8, 0, 0, 0],
        2 => [0xC0 | (cp >> 6) as u8, cont(0), 0, 0],
        3 => [0xE0 | (cp >> 12) as u8, cont(6), cont(0), 0],
        _ => [0xF0 | (cp >> 18) as u8, cont(12), cont(6), cont(0)],
    };
    width
}

/// Walks `units` code point by code point: (offset of the code point in
/// `units`, the code point, the units it took).
fn code_points(units: &[u16]) -> impl Iterator<Item = (usize, u32, usize)> + '_ {
    let mut at = 0;
    core::iter::from_fn(move || {
        let rest = units.get(at..).filter(|r| !r.is_empty())?;
        let (cp, taken) = first_code_point(rest);
        let item = (at, cp, taken);
        at += taken;
        Some(item)
    })
}

/// `uv_utf16_length_as_wtf8`: the bytes of the WTF-8 form of `units`, not
/// counting a terminating NUL. A 0 unit is encoded like any other; the C
/// layer stops a NUL-terminated input at its NUL before calling this.
pub fn utf16_length_as_wtf8(units: &[u16]) -> usize {
    code_points(units).map(|(_, cp, _)| wtf8_width(cp)).sum()
}

/// `uv_utf16_to_wtf8` into a buffer: writes the WTF-8 form of `units` to
/// `dst` followed by a NUL byte. The last byte of `dst` is reserved for the
/// NUL, so its capacity for text is `dst.len() - 1`.
///
/// Returns `Ok(len)`, the bytes written before the NUL, if everything fit.
/// Otherwise `dst` holds as much of the text as fits (the last character may
/// be cut) and then the NUL, and `Err(len)` gives the length to ask for, as
/// libuv reports it (`UV_ENOBUFS`): the full length, except that when not
/// even the first character fit whole into a non-zero capacity, libuv adds
/// the capacity to it (it over-reports; a buffer of that size works too).
/// An empty `dst` gets nothing and the full length.
pub fn utf16_to_wtf8(units: &[u16], dst: &mut [u8]) -> Result<usize, usize> {
    let Some(capacity) = dst.len().checked_sub(1) else {
        return Err(utf16_length_as_wtf8(units));
    };
    let mut written = 0;
    // Bytes up to the end of the last character that fit whole; libuv starts
    // this count at the capacity, hence the over-report described above.
    let mut whole = capacity;
    for (at, cp, _) in code_points(units) {
        let mut bytes = [0; 4];
        let width = encode_wtf8(cp, &mut bytes);
        let room = capacity - written;
        if width > room {
            // Copy the part that fits, terminate, report what is needed.
            dst[written..capacity].copy_from_slice(&bytes[..room]);
            dst[capacity] = 0;
            let rest = units.get(at..).unwrap_or_default();
            return Err(whole + utf16_length_as_wtf8(rest));
        }
        dst[written..written + width].copy_from_slice(&bytes[..width]);
        written += width;
        whole = written;
    }
    dst[written] = 0;
    Ok(written)
}

/// Decodes the WTF-8 sequence at the start of `bytes` as libuv does, a
/// missing byte counting as 0: `Some((code point, bytes taken))`, or `None`
/// if the sequence is invalid (see the module documentation). A leading 0
/// byte decodes as U+0000 and ends the string.
fn decode_wtf8(bytes: &[u8]) -> Option<(u32, usize)> {
    let byte = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let lead = byte(0);
    let (width, lead_bits) = match lead {
        0x00..=0x7F => return Some((u32::from(lead), 1)),
        0xC2..=0xDF => (2, lead & 0x1F),
        0xE0..=0xEF => (3, lead & 0x0F),
        0xF0..=0xF4 => (4, lead & 0x07),
        // 0x80..=0xC1 (continuation or overlong two-byte lead) and
        // 0xF5..=0xFF. Rejecting such a lead before looking at the bytes
        // after it changes nothing: the result is "invalid" either way.
        _ => return None,
    };
    let mut cp = u32::from(lead_bits);
    for i in 1..width {
        let next = byte(i);
        if next & 0xC0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | u32::from(next & 0x3F);
    }
    (cp <= 0x10FFFF).then_some((cp, width))
}

/// The code points of the NUL-terminated WTF-8 text `bytes` (ending at its
/// first 0 byte or at its end), each as `Some`, then `None` once if an
/// invalid sequence stops the walk.
fn wtf8_code_points(bytes: &[u8]) -> impl Iterator<Item = Option<u32>> + '_ {
    let mut at = 0;
    let mut done = false;
    core::iter::from_fn(move || {
        if done {
            return None;
        }
        let rest = bytes.get(at..).unwrap_or_default();
        match decode_wtf8(rest) {
            None => {
                done = true;
                Some(None)
            }
            // The terminator: a 0 byte (or the end). An overlong zero such as
            // `E0 80 80` is a character like any other.
            Some((0, 1)) => None,
            Some((cp, taken)) => {
                at += taken;
                Some(Some(cp))
            }
        }
    })
}

/// UTF-16 code units for code point `cp`.
fn utf16_width(cp: u32) -> usize {
    if cp > 0xFFFF {
        2
    } else {
        1
    }
}

/// `uv_wtf8_length_as_utf16`: the UTF-16 code units for the NUL-terminated
/// WTF-8 text `bytes`, *including* the terminating NUL; `None` if the text is
/// not valid WTF-8 (libuv's -1). The text ends at its first 0 byte, or at the
/// end of the slice.
pub fn wtf8_length_as_utf16(bytes: &[u8]) -> Option<usize> {
    let mut units = 1;
    for cp in wtf8_code_points(bytes) {
        units += utf16_width(cp?);
    }
    Some(units)
}

/// `uv_wtf8_to_utf16`: writes the UTF-16 form of the NUL-terminated WTF-8
/// text `bytes` to `dst`, then a 0 unit; returns the units written including
/// that 0 (0 only for an empty `dst`).
///
/// Given a `dst` of [`wtf8_length_as_utf16`] units, the result is libuv's.
/// libuv leaves the other cases undefined (it asserts, or writes past the
/// buffer); here they end the output early, and it is still terminated:
/// - invalid WTF-8: the output stops before the first invalid sequence;
/// - a short `dst`: the output stops before the first character that does
///   not fit together with the terminator (a surrogate pair is never split).
pub fn wtf8_to_utf16(bytes: &[u8], dst: &mut [u16]) -> usize {
    let Some(capacity) = dst.len().checked_sub(1) else {
        return 0;
    };
    let mut written = 0;
    for cp in wtf8_code_points(bytes) {
        let Some(cp) = cp else { break };
        let width = utf16_width(cp);
        if width > capacity - written {
            break;
        }
        if width == 2 {
            let offset = cp - 0x10000;
            dst[written] = 0xD800 + (offset >> 10) as u16;
            dst[written + 1] = 0xDC00 + (offset & 0x3FF) as u16;
        } else {
            dst[written] = cp as u16;
        }
        written += width;
    }
    dst[written] = 0;
    written + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_wtf8(units: &[u16]) -> Vec<u8> {
        let len = utf16_length_as_wtf8(units);
        let mut buf = vec![0xAA; len + 1];
        assert_eq!(utf16_to_wtf8(units, &mut buf), Ok(len));
        assert_eq!(buf.pop(), Some(0));
        buf
    }

    fn to_utf16(bytes: &[u8]) -> Vec<u16> {
        let len = wtf8_length_as_utf16(bytes).expect("valid WTF-8");
        let mut buf = vec![0xAAAA; len];
        assert_eq!(wtf8_to_utf16(bytes, &mut buf), len);
        assert_eq!(buf.pop(), Some(0));
        buf
    }

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn wtf8_lengths_of_utf16() {
        assert_eq!(utf16_length_as_wtf8(&[]), 0);
        assert_eq!(utf16_length_as_wtf8(&utf16("abc")), 3);
        assert_eq!(utf16_length_as_wtf8(&[0]), 1); // an embedded NUL counts
        assert_eq!(
            utf16_length_as_wtf8(&[0x7F, 0x80, 0x7FF, 0x800, 0xFFFF]),
            1 + 2 + 2 + 3 + 3
        );
        assert_eq!(utf16_length_as_wtf8(&[0xD800, 0xDC00]), 4);
        assert_eq!(utf16_length_as_wtf8(&[0xDBFF, 0xDFFF]), 4);
        // Lone and reversed surrogates: three bytes each.
        assert_eq!(utf16_length_as_wtf8(&[0xD800]), 3);
        assert_eq!(utf16_length_as_wtf8(&[0xDC00]), 3);
        assert_eq!(utf16_length_as_wtf8(&[0xDC00, 0xD800]), 6);
        assert_eq!(utf16_length_as_wtf8(&[0xD800, 0x41]), 4);
        assert_eq!(utf16_length_as_wtf8(&[0xD800, 0xD800, 0xDC00]), 7);
    }

    #[test]
    fn utf16_to_wtf8_matches_utf8_on_valid_text() {
        for s in [
            "",
            "a",
            "héllo",
            "ᜄȺy𐞲:𞢢𘴇𐀀'¥3̞[<i$",
            "\u{10FFFF}\u{FFFF}\u{80}",
        ] {
            assert_eq!(to_wtf8(&utf16(s)), s.as_bytes(), "{s:?}");
        }
    }

    #[test]
    fn lone_surrogates_become_three_byte_sequences() {
        assert_eq!(to_wtf8(&[0xD800]), [0xED, 0xA0, 0x80]);
        assert_eq!(to_wtf8(&[0xDFFF]), [0xED, 0xBF, 0xBF]);
        assert_eq!(
            to_wtf8(&[0x61, 0xDC00, 0xD83D]),
            [0x61, 0xED, 0xB0, 0x80, 0xED, 0xA0, 0xBD]
        );
        // A high surrogate then a pair: the first one stays alone.
        assert_eq!(
            to_wtf8(&[0xD800, 0xD800, 0xDC00]),
            [0xED, 0xA0, 0x80, 0xF0, 0x90, 0x80, 0x80]
        );
    }

    #[test]
    fn round_trips() {
        let cases: [&[u16]; 7] = [
            &[],
            &[0x41, 0x42],
            &[0xD83D, 0xDE00],
            &[0xD800],
            &[0xDC00, 0xD800],
            &[0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0xDBFF, 0xDFFF, 0xE000],
            &[0xD800, 0x20, 0xDFFF, 0x20],
        ];
        for units in cases {
            assert_eq!(to_utf16(&to_wtf8(units)), units, "{units:x?}");
        }
        // Every BMP unit alone, and every surrogate pair's ends.
        for unit in 1..=0xFFFF_u16 {
            assert_eq!(to_utf16(&to_wtf8(&[unit])), [unit]);
        }
        for pair in [
            [0xD800, 0xDC00],
            [0xD800, 0xDFFF],
            [0xDBFF, 0xDC00],
            [0xDBFF, 0xDFFF],
        ] {
            assert_eq!(to_wtf8(&pair).len(), 4);
            assert_eq!(to_utf16(&to_wtf8(&pair)), pair);
        }
    }

    #[test]
    fn wtf8_to_utf16_on_valid_text() {
        assert_eq!(wtf8_length_as_utf16(b""), Some(1));
        assert_eq!(wtf8_length_as_utf16(b"abc"), Some(4));
        assert_eq!(wtf8_length_as_utf16("\u{10FFFF}".as_bytes()), Some(3));
        let s = "ᜄȺy𐞲:𞢢𘴇𐀀'¥3̞[<i$";
        assert_eq!(to_utf16(s.as_bytes()), utf16(s));
        assert_eq!(to_utf16(&[0xF4, 0x8F, 0xBF, 0xBF]), [0xDBFF, 0xDFFF]);
        // The text ends at its first 0 byte.
        assert_eq!(wtf8_length_as_utf16(b"ab\0cd"), Some(3));
        assert_eq!(to_utf16(b"ab\0cd"), utf16("ab"));
    }

    #[test]
    fn wtf8_surrogates_decode_unit_by_unit() {
        assert_eq!(to_utf16(&[0xED, 0xA0, 0x80]), [0xD800]);
        // Two encoded surrogates (not valid generalized UTF-8, but libuv
        // takes them) become the two units, i.e. a pair.
        assert_eq!(
            to_utf16(&[0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80]),
            [0xD800, 0xDC00]
        );
    }

    #[test]
    fn lenient_forms_libuv_accepts() {
        // Overlong three- and four-byte forms decode to their value; an
        // overlong zero does not end the text.
        assert_eq!(to_utf16(&[0xE0, 0x80, 0x80, b'a']), [0, 0x61]);
        assert_eq!(to_utf16(&[0xE0, 0x81, 0x81]), [0x41]);
        assert_eq!(to_utf16(&[0xF0, 0x80, 0x80, 0x80]), [0]);
        assert_eq!(to_utf16(&[0xF0, 0x8F, 0xBF, 0xBF]), [0xFFFF]);
    }

    #[test]
    fn invalid_wtf8_is_rejected() {
        let cases: [&[u8]; 14] = [
            &[0x80],                   // lone continuation byte
            &[0xBF, b'a'],             //
            &[0xC0, 0x80],             // overlong two-byte lead
            &[0xC1, 0xBF],             //
            &[0xC3],                   // truncated at the end
            &[0xC3, 0x00],             // truncated by the terminator
            &[0xE2, 0x82],             //
            &[0xF0, 0x9F, 0x98],       //
            &[0xC3, b'a'],             // not a continuation byte
            &[0xE2, 0x82, 0xC3, 0xA9], //
            &[0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
            &[0xF5, 0x80, 0x80, 0x80], // leads above 0xF4
            &[0xF8, 0x88, 0x80, 0x80, 0x80],
            &[0xFF],
        ];
        for bytes in cases {
            assert_eq!(wtf8_length_as_utf16(bytes), None, "{bytes:x?}");
            let mut with_prefix = b"ok".to_vec();
            with_prefix.extend_from_slice(bytes);
            assert_eq!(wtf8_length_as_utf16(&with_prefix), None, "{bytes:x?}");
        }
        // An invalid sequence after the terminator does not matter.
        assert_eq!(wtf8_length_as_utf16(b"a\0\x80"), Some(2));
    }

    #[test]
    fn wtf8_to_utf16_stops_at_invalid_input() {
        let mut buf = [0xAAAA; 8];
        assert_eq!(wtf8_to_utf16(b"ab\x80cd", &mut buf), 3);
        assert_eq!(buf[..4], [0x61, 0x62, 0, 0xAAAA]);
        assert_eq!(wtf8_to_utf16(&[0xF4, 0x90, 0x80, 0x80], &mut buf), 1);
        assert_eq!(buf[0], 0);
    }

    #[test]
    fn wtf8_to_utf16_respects_a_short_buffer() {
        let text = "a\u{10000}b".as_bytes();
        assert_eq!(wtf8_length_as_utf16(text), Some(5));
        let mut buf = [0xAAAA; 6];
        assert_eq!(wtf8_to_utf16(text, &mut buf[..0]), 0);
        assert_eq!(buf, [0xAAAA; 6]);
        assert_eq!(wtf8_to_utf16(text, &mut buf[..1]), 1);
        assert_eq!(buf[..2], [0, 0xAAAA]);
        // The pair does not fit with the terminator: it is not split.
        for len in [2, 3] {
            let mut buf = [0xAAAA; 6];
            assert_eq!(wtf8_to_utf16(text, &mut buf[..len]), 2);
            assert_eq!(buf[..3], [0x61, 0, 0xAAAA]);
        }
        let mut buf = [0xAAAA; 6];
        assert_eq!(wtf8_to_utf16(text, &mut buf[..4]), 4);
        assert_eq!(buf, [0x61, 0xD800, 0xDC00, 0, 0xAAAA, 0xAAAA]);
        // A larger buffer than needed: the rest is left alone.
        let mut buf = [0xAAAA; 6];
        assert_eq!(wtf8_to_utf16(text, &mut buf), 5);
        assert_eq!(buf, [0x61, 0xD800, 0xDC00, 0x62, 0, 0xAAAA]);
    }

    #[test]
    fn utf16_to_wtf8_into_a_larger_buffer() {
        let mut buf = [0xAA; 8];
        assert_eq!(utf16_to_wtf8(&utf16("hé"), &mut buf), Ok(3));
        assert_eq!(buf, [b'h', 0xC3, 0xA9, 0, 0xAA, 0xAA, 0xAA, 0xAA]);
    }

    #[test]
    fn utf16_to_wtf8_into_a_short_buffer() {
        // "aé€😀": 1 + 2 + 3 + 4 = 10 bytes.
        let units = utf16("aé€😀");
        let full = "aé€😀".as_bytes();
        assert_eq!(utf16_length_as_wtf8(&units), 10);
        for capacity in 0..10 {
            let mut buf = vec![0xAA; capacity + 2];
            let needed = utf16_to_wtf8(&units, &mut buf[..capacity + 1]);
            assert_eq!(buf[..capacity], full[..capacity], "capacity {capacity}");
            assert_eq!(buf[capacity], 0, "capacity {capacity}");
            assert_eq!(buf[capacity + 1], 0xAA, "capacity {capacity}");
            assert_eq!(needed, Err(10), "capacity {capacity}");
        }
        assert_eq!(utf16_to_wtf8(&units, &mut [0xAA; 11]), Ok(10));
        // An empty slice has no room even for the NUL.
        assert_eq!(utf16_to_wtf8(&units, &mut []), Err(10));
    }

    #[test]
    fn utf16_to_wtf8_over_reports_when_no_character_fits() {
        // libuv's count when not even the first character fits whole: the
        // capacity plus the full length.
        let units = utf16("€a"); // 3 + 1 bytes
        let mut buf = [0xAA; 3];
        assert_eq!(utf16_to_wtf8(&units, &mut buf), Err(2 + 4));
        assert_eq!(buf, [0xE2, 0x82, 0]);
        let mut buf = [0xAA; 2];
        assert_eq!(utf16_to_wtf8(&units, &mut buf), Err(1 + 4));
        assert_eq!(buf, [0xE2, 0]);
        // Once one character fit, the count is exact.
        let units = utf16("a€");
        let mut buf = [0xAA; 3];
        assert_eq!(utf16_to_wtf8(&units, &mut buf), Err(4));
        assert_eq!(buf, [b'a', 0xE2, 0]);
    }

    #[test]
    fn utf16_to_wtf8_splits_a_pair_only_in_the_output() {
        // A surrogate pair is read as a whole even when its bytes do not fit.
        let units = [0x61, 0xD83D, 0xDE00];
        for capacity in 1..5 {
            let mut buf = vec![0xAA; capacity + 1];
            assert_eq!(
                utf16_to_wtf8(&units, &mut buf),
                Err(5),
                "capacity {capacity}"
            );
        }
    }
}
