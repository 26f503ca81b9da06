//! A cabinet from arbitrary bytes: listing and extracting it (MSZIP, LZX, stored; checksums
//! and sizes verified) must give the files or an error, never a panic, and never hold more
//! than a bounded amount of memory (the sink counts the bytes; it keeps none).

#![no_main]

use std::io::{self, Cursor, Write};

use libfuzzer_sys::fuzz_target;

/// Counts what it is given.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Sink;

impl cabinet::Sink for Sink {
    type Writer = Count;

    fn open(&mut self, _entry: &cabinet::CabinetEntry) -> io::Result<Option<Count>> {
        Ok(Some(Count(0)))
    }

    fn finish(&mut self, entry: &cabinet::CabinetEntry, writer: Count) -> io::Result<()> {
        // The extractor checks sizes itself; a file it finishes has its declared size.
        assert_eq!(writer.0, entry.size, "{}", entry.name);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = cabinet::list(Cursor::new(data));
    let _ = cabinet::extract_to(Cursor::new(data), &mut Sink);
});
