//! The `cairn` binary: parse arguments, run, map the result to an exit code.

use std::process::ExitCode;

use cairn::cli::{self, Cli, Outcome, UsageError};
use cairn::interrupt;

/// Large buffers (packs, chunks, decoded windows) come and go by the thousand. With
/// glibc's default, the mmap threshold rises after the first large free and later
/// buffers are carved from per-thread arenas that keep freed memory resident: peak RSS
/// of a 1 GiB / 70k-file backup was 157 MB with a heap peak of 100 MB. A fixed 128 KiB
/// threshold returns each large buffer to the system when freed: 103 MB for the backup,
/// 230 -> 160 MB for its restore, at a few percent of time (docs/BENCHMARKS.md).
/// A fixed threshold also fixes the trim threshold at 128 KiB, so every free at the top
/// of a heap gave its pages back and the next chunk-sized buffer faulted them in again:
/// half of a dump's restore time was page faults. Keeping up to 16 MiB free per heap
/// took the restore of a 600 MB dump from 0.75 to 0.3 s of system time and from 1.1 to
/// 0.8 s, for about 10 MB more peak RSS.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_large_buffers_to_the_system() {
    // SAFETY: mallopt only changes allocator tuning; it is called before any thread
    // starts, and a failure (return 0) just leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 16 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_buffers_to_the_system() {}

fn main() -> ExitCode {
    return_large_buffers_to_the_system();
    cairn::child::open_files_up_to_the_hard_limit();
    // Trees are walked recursively, as deep as backup::files::MAX_DEPTH: the command
    // and rayon's threads get stacks sized for that, not main's 8 MiB and rayon's 2.
    let stack = cairn::backup::files::THREAD_STACK;
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .stack_size(stack)
        .build_global()
    {
        cairn::ui::warn(&format!("thread pool: {e}"));
    }
    let cli = Cli::parse_args();
    let name = cli.command.name();
    if let Err(e) = interrupt::install() {
        cairn::ui::warn(&format!(
            "cannot handle signals ({e}); an interrupted command may leave a lock behind"
        ));
    }
    let command = std::thread::Builder::new()
        .name("command".into())
        .stack_size(stack)
        .spawn(move || cli::run(cli));
    let result = match command {
        Ok(running) => running
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        Err(e) => Err(anyhow::anyhow!("cannot start the command's thread: {e}")),
    };
    // Whatever the work made of it, a command stopped by a signal ends as the shell
    // expects of one (128 + the signal's number), with one line saying so.
    if let Some(sig) = interrupt::caught() {
        match &result {
            Ok(Outcome::Interrupted | Outcome::Failed) => return ExitCode::from(sig.exit_code()),
            Err(_) => {
                eprintln!("cairn {name}: {}", interrupt::Interrupted);
                return ExitCode::from(sig.exit_code());
            }
            // It finished before it noticed: nothing was cut short.
            Ok(_) => {}
        }
    }
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(3),
        Ok(Outcome::Failed | Outcome::Interrupted) => ExitCode::FAILURE,
        Ok(Outcome::Busy) => ExitCode::from(4),
        Err(e) => {
            // `cairn dump … | head` closing the pipe early is not a failure.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    || c.to_string().contains("Broken pipe")
            }) {
                return ExitCode::SUCCESS;
            }
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("cairn {name}: {}", msg.join(": "));
            if e.chain().any(|c| c.is::<UsageError>()) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
