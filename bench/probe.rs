//! Workloads for `bench/run`, timed from inside the process so that launch time does not count.
//!
//! Every workload runs in chunks and prints one line on stdout:
//! `elapsed_ns=N ops=M best_chunk_ns=B chunk_ops=C`. N is the wall-clock time of the whole
//! loop in nanoseconds and M the number of operations it did. B is the time of the fastest
//! chunk, which did C operations. On a machine shared with other work, preemption lengthens
//! some chunks but rarely all, so B/C estimates the undisturbed cost per operation more
//! steadily than N/M. `make-tree` builds the tree that `walk` reads and prints nothing.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
usage: bench-probe getppid COUNT
       bench-probe read-write COUNT
       bench-probe walk DIR PASSES
       bench-probe make-tree DIR DIRS FILES_PER_DIR";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["getppid", count] => parse_count(count).and_then(getppid_loop),
        ["read-write", count] => parse_count(count).and_then(read_write_loop),
        ["walk", dir, passes] => parse_count(passes).and_then(|passes| walk(dir, passes)),
        ["make-tree", dir, dirs, files] => parse_count(dirs)
            .and_then(|dirs| Ok((dirs, parse_count(files)?)))
            .and_then(|(dirs, files)| make_tree(Path::new(dir), dirs, files)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench-probe: {err}");
            ExitCode::FAILURE
        }
    }
}

fn parse_count(text: &str) -> io::Result<u64> {
    text.parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid count {text:?}: expected a non-negative integer"),
        )
    })
}

/// Number of chunks that `getppid` and `read-write` split their loop into.
const CHUNKS: u64 = 20;

/// Wall-clock times of a loop run in chunks.
struct Timing {
    start: Instant,
    ops: u64,
    best_chunk_ns: u128,
    chunk_ops: u64,
}

impl Timing {
    fn new() -> Timing {
        Timing {
            start: Instant::now(),
            ops: 0,
            best_chunk_ns: u128::MAX,
            chunk_ops: 0,
        }
    }

    /// Runs one chunk; `chunk` returns the number of operations it did.
    fn chunk(&mut self, chunk: impl FnOnce() -> io::Result<u64>) -> io::Result<()> {
        let start = Instant::now();
        let ops = chunk()?;
        let elapsed = start.elapsed().as_nanos();
        if elapsed < self.best_chunk_ns {
            self.best_chunk_ns = elapsed;
            self.chunk_ops = ops;
        }
        self.ops += ops;
        Ok(())
    }

    fn report(&self) {
        println!(
            "elapsed_ns={} ops={} best_chunk_ns={} chunk_ops={}",
            self.start.elapsed().as_nanos(),
            self.ops,
            self.best_chunk_ns,
            self.chunk_ops
        );
    }
}

/// Calls getppid(2) `count` times. It is about the cheapest syscall there is, and allow-lists
/// for ordinary programs permit it, so the loop measures seccomp's per-call cost and little else.
fn getppid_loop(count: u64) -> io::Result<()> {
    let mut timing = Timing::new();
    for _ in 0..CHUNKS {
        timing.chunk(|| {
            for _ in 0..count / CHUNKS {
                // glibc does not cache getppid, so each iteration enters the kernel.
                std::hint::black_box(nix::unistd::getppid());
            }
            Ok(count / CHUNKS)
        })?;
    }
    timing.report();
    Ok(())
}

/// Copies `count` single bytes from /dev/zero to /dev/null, as `dd bs=1` does: two syscalls
/// per byte and no file system work after the two opens.
fn read_write_loop(count: u64) -> io::Result<()> {
    let mut zero = File::open("/dev/zero")?;
    let mut null = File::options().write(true).open("/dev/null")?;
    let mut byte = [0u8; 1];
    let mut timing = Timing::new();
    for _ in 0..CHUNKS {
        timing.chunk(|| {
            for _ in 0..count / CHUNKS {
                zero.read_exact(&mut byte)?;
                null.write_all(&byte)?;
            }
            Ok(2 * (count / CHUNKS))
        })?;
    }
    timing.report();
    Ok(())
}

/// Walks `dir` `passes` times, one pass a chunk: lists every directory, stats every entry, and
/// opens and reads every regular file. Each open is a path lookup that Landlock checks.
fn walk(dir: &str, passes: u64) -> io::Result<()> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut timing = Timing::new();
    for _ in 0..passes {
        timing.chunk(|| walk_dir(Path::new(dir), &mut buffer))?;
    }
    timing.report();
    Ok(())
}

/// Returns the number of operations under `dir`: one per entry for its stat, and one more per
/// regular file for reading it.
fn walk_dir(dir: &Path, buffer: &mut [u8]) -> io::Result<u64> {
    let mut ops = 0;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let metadata = fs::symlink_metadata(&path)?;
        ops += 1;
        if metadata.is_dir() {
            ops += walk_dir(&path, buffer)?;
        } else if metadata.is_file() {
            let mut file = File::open(&path)?;
            while file.read(buffer)? > 0 {}
            ops += 1;
        }
    }
    Ok(ops)
}

/// Creates `dirs` directories of `files_per_dir` 1 KiB files each, two levels deep, under `root`.
/// An existing complete tree is kept, so repeated runs reuse the page cache.
fn make_tree(root: &Path, dirs: u64, files_per_dir: u64) -> io::Result<()> {
    let marker = root.join(format!(".complete-{dirs}x{files_per_dir}"));
    if marker.exists() {
        return Ok(());
    }
    let content = vec![b'x'; 1024];
    for d in 0..dirs {
        let dir = root
            .join(format!("g{:02}", d % 10))
            .join(format!("d{d:04}"));
        fs::create_dir_all(&dir)?;
        for f in 0..files_per_dir {
            fs::write(dir.join(format!("f{f:04}")), &content)?;
        }
    }
    File::create(marker)?;
    Ok(())
}
