//! Replays the fuzz corpus (`fuzz/corpus/<target>/`, grown by `cargo fuzz run`, with every crash found kept
//! there as a regression input) through the same entry points on the stable toolchain, so every input
//! that ever found a bug keeps being checked by `cargo test`.

use std::path::Path;

/// A fuzz target: its corpus folder and its entry point.
type Target = (&'static str, fn(&[u8]));

#[test]
fn every_corpus_input_is_handled_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let targets: [Target; 5] = [
        ("verify_json", microcred::fuzzing::verify_json),
        ("csv_batch", microcred::fuzzing::csv_batch),
        ("pdf", microcred::fuzzing::pdf),
        ("png", microcred::fuzzing::png),
        ("problem", microcred::fuzzing::problem),
    ];
    let mut replayed = 0;
    for (target, run) in targets {
        let dir = root.join(target);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            run(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 12, "the corpus is there ({replayed} inputs)");
}
