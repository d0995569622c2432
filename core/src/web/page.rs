//! The small HTML pages of the install flow. Every value is escaped; none is a secret.

/// Escapes text for an HTML element or a double-quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;\
max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d1c1d;line-height:1.5}\
h1{font-size:1.6rem}a.button{display:inline-block;padding:.7rem 1.3rem;border-radius:.4rem;\
background:#4a154b;color:#fff;text-decoration:none;font-weight:600}\
p.detail{color:#616061;font-size:.9rem}";

/// A whole page: `title` and `body_html` (already escaped).
pub(crate) fn document(title: &str, body_html: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head>\n<body>\n{body_html}\n</body></html>\n",
        title = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let page = document("<T>", "<p>ok</p>");
        assert!(page.contains("<title>&lt;T&gt;</title>"));
        assert!(page.contains("<p>ok</p>"));
    }
}
