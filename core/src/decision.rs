//! [`Decision`]: what to do with a kept token at some moment, for installations, app
//! configuration tokens and the keeper alike.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds of `time` (0 before 1970): the `now` every function of this crate takes.
///
/// ```
/// # use std::time::{Duration, UNIX_EPOCH};
/// use slack_oauth_core::unix_seconds;
/// assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1_500)), 1);
/// // In an app: unix_seconds(SystemTime::now())
/// ```
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What to do before calling Slack with a kept token: use it, or refresh it first with this
/// request and apply the answer.
///
/// [`Installation::decide`](crate::Installation::decide) answers
/// `Decision<&AccessToken, Access>`, [`ConfigTokens::decide`](crate::ConfigTokens::decide)
/// `Decision<&ConfigToken, Rotate>`, and a [`Renewable`](crate::keeper::Renewable) the owned
/// form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<T, R> {
    /// The token is good for now: use it.
    Use(T),
    /// Refresh first: send this request, apply the answer (and store the result before using
    /// the new token).
    Refresh(R),
}

/// How long before expiry a token is refreshed unless configured otherwise: 2 hours, as in
/// Slack's Python, Node and Java SDKs (a 12-hour token is refreshed after about 10 hours).
///
/// The margin actually used is at most half the token's lifetime, so a margin larger than
/// the lifetime cannot make every fresh token look due for a refresh.
pub(crate) const REFRESH_MARGIN: u64 = 2 * 60 * 60;

/// Whether a token expiring at `expires_at` should be refreshed at `now`.
///
/// Due from `expires_at - margin` on (inclusive), with the margin capped at half the lifetime
/// when the issue time is known.
pub(crate) fn refresh_due(expires_at: u64, issued_at: Option<u64>, now: u64, margin: u64) -> bool {
    now >= due_at(expires_at, issued_at, margin)
}

/// When a token expiring at `expires_at` becomes due: `expires_at - margin`, the margin capped
/// at half the lifetime when the issue time is known.
pub(crate) fn due_at(expires_at: u64, issued_at: Option<u64>, margin: u64) -> u64 {
    let margin = match issued_at {
        Some(issued) if issued <= expires_at => margin.min((expires_at - issued) / 2),
        _ => margin,
    };
    expires_at.saturating_sub(margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn unix_time() {
        assert_eq!(unix_seconds(UNIX_EPOCH), 0);
        assert_eq!(
            unix_seconds(UNIX_EPOCH - std::time::Duration::from_secs(5)),
            0
        );
        assert_eq!(
            unix_seconds(UNIX_EPOCH + std::time::Duration::from_secs(NOW)),
            NOW
        );
    }

    #[test]
    fn due_edge_is_inclusive_and_margin_capped() {
        assert!(!refresh_due(100, Some(0), 89, 10));
        assert!(refresh_due(100, Some(0), 90, 10));
        // Margin 80 on a 100-second token: half the lifetime, 50.
        assert!(!refresh_due(100, Some(0), 49, 80));
        assert!(refresh_due(100, Some(0), 50, 80));
        assert!(refresh_due(100, None, 20, 80));
    }
}
