//! The test harness of the test binaries whose tests need something this machine
//! may lack (chromedriver and Chromium; a PostgreSQL server): libtest-mimic with the
//! built-in harness's arguments (name filters, `--exact`, `--skip`, `--list`,
//! `--include-ignored`, `--ignored`, `--test-threads`).
//!
//! When what they need is missing, every test is marked ignored, so the summary
//! counts it as ignored (never as passed), and the reason is printed once. A run that
//! asks for ignored tests (`--include-ignored`, `--ignored`; CI does) runs them
//! anyway, and each fails with that reason.

use std::process::ExitCode;

use libtest_mimic::{Arguments, Failed, Trial};

/// One test: its name and its body, which panics when the test fails.
pub type Test = (&'static str, Box<dyn FnOnce() + Send>);

/// What the tests of one binary are, and whether they can run here.
pub struct Suite {
    /// "browser tests": the start of the line that gives the reason.
    pub what: &'static str,
    /// Shown in brackets before each name (`test [postgres] name`); `--skip '[postgres]'`
    /// leaves them out of a run. `None` keeps the bare names.
    pub kind: Option<&'static str>,
    /// Why they cannot run here; `None` when they can.
    pub missing: Option<String>,
    /// How many tests run at once unless `--test-threads` says otherwise.
    pub threads: Option<usize>,
}

impl Suite {
    /// Runs `tests` as the command line asks; the exit code is the harness's.
    pub fn run(self, tests: Vec<Test>) -> ExitCode {
        let mut args = Arguments::from_args();
        if args.test_threads.is_none() {
            args.test_threads = self.threads;
        }
        let trials: Vec<Trial> = tests
            .into_iter()
            .map(|(name, body)| {
                let trial = match &self.missing {
                    None => Trial::test(name, move || {
                        body();
                        Ok(())
                    }),
                    Some(reason) => {
                        let reason = format!("{} cannot run: {reason}", self.what);
                        Trial::test(name, move || Err(Failed::from(reason))).with_ignored_flag(true)
                    }
                };
                match self.kind {
                    Some(kind) => trial.with_kind(kind),
                    None => trial,
                }
            })
            .collect();
        if let Some(reason) = &self.missing
            && !args.list
            && trials.iter().any(|t| !args.is_filtered_out(t))
        {
            if args.include_ignored || args.ignored {
                eprintln!("{} fail: {reason} (the run asked for ignored tests)", self.what);
            } else {
                eprintln!("{} ignored: {reason}", self.what);
            }
        }
        libtest_mimic::run(&args, trials).exit_code()
    }
}
