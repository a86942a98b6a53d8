//! Structured logs (tracing) for both daemons: to stderr, level from `TERN_LOG` (tracing
//! filter syntax, default `info`), colours only on a terminal.

/// Installs the global subscriber once; later calls do nothing.
pub fn init(default_level: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("TERN_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).with_ansi(ansi).try_init();
}
