//! Any bytes as a corpus file: gzip / zstd detection and decoding under the inflation guard,
//! then line reading under a small record limit.
#![no_main]
use kubeautopsy::input::{Limits, LineReader, wrap_reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_record_bytes: 1 << 16,
        max_inflation: 100,
    };
    let Ok(reader) = wrap_reader(Box::new(std::io::Cursor::new(data.to_vec())), &limits) else {
        return;
    };
    let mut lines = LineReader::new(reader, limits.max_record_bytes, 0);
    let mut buf = Vec::new();
    while let Ok(Some(_)) = lines.next_into(&mut buf) {
        buf.clear();
    }
});
