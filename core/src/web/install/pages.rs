//! The pages that end an install: success and failure, or the app's own pages.

use http::{Response, StatusCode};

use super::failure::InstallFailure;
use super::flow::Installed;
use super::headers::{html, redirect};
use super::settings::InstallFlow;
use crate::web::page::{document, escape};

impl InstallFlow {
    /// The page after a successful install (or a redirect to the app's success URL), with
    /// the state cookie cleared.
    pub fn success(&self, installed: &Installed) -> Response<Vec<u8>> {
        let mut response = match &self.success_url {
            Some(url) => redirect(StatusCode::SEE_OTHER, url),
            None => {
                let installation = &installed.installation;
                let place = installation
                    .team_name
                    .as_deref()
                    .or(installation.enterprise_name.as_deref())
                    .or(installed.team_name.as_deref())
                    .unwrap_or("your workspace");
                let mut body = format!(
                    "<h1>Installed in {place}</h1>\n<p>{app} is now installed in \
<strong id=\"team-name\">{place}</strong>.</p>\n",
                    place = escape(place),
                    app = escape(&self.app_name),
                );
                if let Some(link) = installed.deep_link() {
                    body.push_str(&format!(
                        "<p><a class=\"button\" id=\"open-slack\" href=\"{}\">Open Slack</a></p>\n",
                        escape(&link)
                    ));
                }
                if let Some(url) = installed
                    .team_url
                    .as_deref()
                    .filter(|u| u.starts_with("https://"))
                {
                    body.push_str(&format!(
                        "<p class=\"detail\">Or open <a href=\"{0}\">{0}</a> in the browser.</p>\n",
                        escape(url)
                    ));
                }
                html(StatusCode::OK, &document("Installed", &body))
            }
        };
        self.clear_cookie(response.headers_mut());
        response
    }

    /// The page after a failed install (or a redirect to the app's failure URL with
    /// `?error=<code>`), with the state cookie cleared. Says what happened, never any
    /// detail of Slack's answer beyond its error code.
    pub fn failure(&self, failure: &InstallFailure) -> Response<Vec<u8>> {
        let mut response = match &self.failure_url {
            Some(url) => {
                let separator = if url.contains('?') { '&' } else { '?' };
                let code: String =
                    form_urlencoded::byte_serialize(failure.code().as_bytes()).collect();
                redirect(
                    StatusCode::SEE_OTHER,
                    &format!("{url}{separator}error={code}"),
                )
            }
            None => {
                let (status, title) = if failure.is_access_denied() {
                    (StatusCode::OK, "Installation cancelled")
                } else {
                    (StatusCode::BAD_REQUEST, "Installation failed")
                };
                let body = format!(
                    "<h1>{title}</h1>\n<p id=\"reason\">{reason}</p>\n<p class=\"detail\">Error: \
<code id=\"error-code\">{code}</code></p>\n<p><a href=\"{again}\">Start again</a></p>",
                    reason = escape(failure.explanation()),
                    code = escape(&failure.code()),
                    again = escape(&self.install_path),
                );
                html(status, &document(title, &body))
            }
        };
        self.clear_cookie(response.headers_mut());
        response
    }
}
