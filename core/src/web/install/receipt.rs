//! The receipt of a finished install: what the success page shows (the workspace's name, the
//! "Open Slack" link, the workspace's URL), signed with the state key and carried in the
//! success page's URL. The redirect answers a 303 to that URL (post/redirect/get), so a reload
//! or Back shows the success again without replaying the code, with no store; and nobody can
//! make the page claim an install that did not happen.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::headers::html;
use super::settings::InstallFlow;
use crate::state::constant_time_eq;
use crate::web::page::{document, escape};

/// The query parameter of the install path that carries a receipt.
pub(super) const RECEIPT_PARAM: &str = "installed";

/// How long the success page's URL shows the success, in seconds: one hour. Later, or
/// tampered with, it is the install page again.
pub const RECEIPT_MAX_AGE: u64 = 3600;

/// Keeps receipts apart from every other use of the state key.
const RECEIPT_DOMAIN: &[u8] = b"slack-oauth/web-receipt/v1\0";

/// The longest receipt read; a workspace name is at most a few hundred bytes.
const MAX_RECEIPT_LEN: usize = 4096;

/// What the success page shows; nothing secret (the installer sees all of it anyway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Receipt {
    /// The workspace's (or org's) name.
    #[serde(rename = "p")]
    pub(super) place: String,
    /// `slack://app?team=…&id=…`.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub(super) link: Option<String>,
    /// The workspace's `https://` URL.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub(super) url: Option<String>,
    /// When the install finished (Unix seconds).
    #[serde(rename = "t")]
    pub(super) at: u64,
}

impl InstallFlow {
    /// `receipt` as the value of [`RECEIPT_PARAM`]: `base64url(json) . base64url(mac)`.
    pub(super) fn seal(&self, receipt: &Receipt) -> String {
        let json = serde_json::to_vec(receipt).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let mac = self.receipt_mac(&payload);
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(mac))
    }

    /// The receipt in `query`, if there is one that this app sealed, at most
    /// [`RECEIPT_MAX_AGE`] seconds before `now` (and not from the future beyond a minute).
    pub(super) fn receipt(&self, query: Option<&str>, now: u64) -> Option<Receipt> {
        let sealed = form_urlencoded::parse(query?.as_bytes())
            .find(|(name, _)| name == RECEIPT_PARAM)?
            .1;
        if sealed.len() > MAX_RECEIPT_LEN {
            return None;
        }
        let (payload, mac) = sealed.split_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        if !constant_time_eq(&mac, &self.receipt_mac(payload)) {
            return None;
        }
        let receipt: Receipt =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let fresh = receipt.at <= now.saturating_add(60)
            && now.saturating_sub(receipt.at) <= RECEIPT_MAX_AGE;
        fresh.then_some(receipt)
    }

    fn receipt_mac(&self, payload: &str) -> [u8; 32] {
        let mut mac = hmac_sha256::HMAC::new(self.key.expose().as_bytes());
        mac.update(RECEIPT_DOMAIN);
        mac.update(payload.as_bytes());
        mac.finalize()
    }

    /// The built-in success page for `receipt`.
    pub(super) fn receipt_page(&self, receipt: &Receipt) -> Response<Vec<u8>> {
        let mut body = format!(
            "<h1>Installed in {place}</h1>\n<p>{app} is now installed in \
<strong id=\"team-name\">{place}</strong>.</p>\n",
            place = escape(&receipt.place),
            app = escape(&self.app_name),
        );
        if let Some(link) = receipt
            .link
            .as_deref()
            .filter(|l| l.starts_with("slack://"))
        {
            body.push_str(&format!(
                "<p><a class=\"button\" id=\"open-slack\" href=\"{}\">Open Slack</a></p>\n",
                escape(link)
            ));
        }
        if let Some(url) = receipt.url.as_deref().filter(|u| u.starts_with("https://")) {
            body.push_str(&format!(
                "<p class=\"detail\">Or open <a href=\"{0}\">{0}</a> in the browser.</p>\n",
                escape(url)
            ));
        }
        html(StatusCode::OK, &document("Installed", &body))
    }
}
