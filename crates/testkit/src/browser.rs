//! A browser without JavaScript: cookies, no automatic redirects, and forms
//! submitted with the page's CSRF token, as the web UI's forms are.

use reqwest::{redirect::Policy, Client, StatusCode};

use crate::TestApp;

/// A cookie-keeping client that does not follow redirects (tests look at the 303s).
pub struct Browser {
    pub client: Client,
    base: String,
}

/// Pulls the hidden `_csrf` value out of a page.
pub fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"_csrf\" value=\"").expect("page has a form token") + 20;
    html[i..].split('"').next().unwrap_or_default().to_string()
}

impl Browser {
    pub fn new(t: &TestApp) -> Browser {
        let client = Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("a client");
        Browser { client, base: t.base.clone() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GETs a page: its status and HTML.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = self.client.get(self.url(path)).send().await.expect("GET");
        (r.status(), r.text().await.unwrap_or_default())
    }

    /// Opens `form_page` for its CSRF token and POSTs `fields` to `action`:
    /// the status, the `Location` (for redirects) and the body.
    pub async fn submit(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, Option<String>, String) {
        let (_, html) = self.page(form_page).await;
        let csrf = csrf_of(&html);
        let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let r = self.client.post(self.url(action)).form(&form).send().await.expect("POST");
        let location = r.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
        (r.status(), location, r.text().await.unwrap_or_default())
    }

    /// POSTs `fields` to `action` with a CSRF token already in hand (from
    /// [`csrf_of`] on the page the form is on).
    pub async fn post_form(&self, csrf: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf)];
        form.extend_from_slice(fields);
        self.client.post(self.url(action)).form(&form).send().await.expect("POST")
    }

    /// Signs up through the form (password `web password 123`); expects the redirect.
    pub async fn sign_up(&self, username: &str) {
        let fields = [("username", username), ("display_name", username), ("password", "web password 123")];
        let (status, _, body) = self.submit("/signup", "/signup", &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    }

    /// Logs in through the form with the kit's API password ([`crate::PASSWORD`]).
    pub async fn log_in(&self, username: &str) {
        let (status, _, body) =
            self.submit("/login", "/login", &[("username", username), ("password", crate::PASSWORD)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    }
}

/// Everything else (`post`, `get` with custom headers) goes straight to the client.
impl std::ops::Deref for Browser {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}
