//! SIGHUP, the signal that asks a running collector to re-read what it
//! reads from files (API keys, alert rules). Every listener gets every
//! signal, so each part that reloads something holds its own [`Hangup`].

/// The SIGHUPs delivered from the moment it was made. Made before the
/// task that waits on it starts, so a signal sent right after the start
/// reloads instead of ending the process (the default action).
pub struct Hangup {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Hangup {
    /// Takes over SIGHUP; `what` names what it reloads, for the warning
    /// logged when the handler cannot be installed.
    pub fn listen(what: &str) -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signal = signal(SignalKind::hangup())
                .map_err(|error| tracing::warn!(%error, "SIGHUP will not reload {what}"))
                .ok();
            Self { signal }
        }
        #[cfg(not(unix))]
        {
            let _ = what;
            Self {}
        }
    }

    /// The next SIGHUP; never, where there is no handler.
    pub async fn next(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal {
            if signal.recv().await.is_some() {
                return;
            }
        }
        std::future::pending::<()>().await
    }
}
