//! The `cairn` binary: parse arguments, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

use cairn::cli::{self, Cli, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let name = cli.command.name();
    match cli::run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(3),
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
            ExitCode::FAILURE
        }
    }
}
