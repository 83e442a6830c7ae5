//! Configuration: command-line flags override environment variables, which
//! override the optional TOML file, which overrides the defaults. The table
//! in docs/configuration.md lists every setting.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;
use yaji_server::TrustedProxies;

use crate::Common;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    secure_cookies: Option<bool>,
    log: Option<String>,
    log_format: Option<String>,
    demo: Option<bool>,
    webhook_allow_private: Option<Vec<String>>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    public_url: Option<String>,
    limits: Option<yaji_app::platform::limits::Limits>,
    metrics_listen: Option<String>,
    metrics_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: String,
    pub trusted_proxies: TrustedProxies,
    pub secure_cookies: bool,
    pub log: String,
    pub log_json: bool,
    pub demo: bool,
    pub webhook_allow: yaji_app::webhooks::AllowPrivate,
    pub mail: Option<yaji_app::notifications::email::MailConfig>,
    pub limits: yaji_app::platform::limits::Limits,
    /// Serve `/metrics` on this address only (not beside the site).
    pub metrics_listen: Option<String>,
    /// Require `Authorization: Bearer <token>` on `/metrics`.
    pub metrics_token: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_bool(name: &str) -> Option<bool> {
    env(name).map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
}

impl Settings {
    pub fn resolve(c: &Common) -> Result<Settings> {
        let data_dir = c.data_dir.clone().unwrap_or_else(|| PathBuf::from("yaji-data"));
        let file_path = c.config.clone().or_else(|| Some(data_dir.join("yaji.toml")).filter(|p| p.exists()));
        let file: FileConfig = match &file_path {
            Some(p) => {
                let src = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&src).with_context(|| format!("parsing {}", p.display()))?
            }
            None => FileConfig::default(),
        };
        let database_url = c.database_url.clone().or(file.database_url).unwrap_or_else(|| {
            let path = data_dir.join("yaji.db");
            let abs = std::path::absolute(&path).unwrap_or(path);
            format!("sqlite://{}?mode=rwc", abs.display())
        });
        let proxies =
            env("YAJI_TRUSTED_PROXIES").or_else(|| file.trusted_proxies.map(|v| v.join(","))).unwrap_or_default();
        let trusted_proxies = TrustedProxies::parse(&proxies).map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        let allow = env("YAJI_WEBHOOK_ALLOW_PRIVATE")
            .or_else(|| file.webhook_allow_private.map(|v| v.join(",")))
            .unwrap_or_default();
        let webhook_allow = yaji_app::webhooks::AllowPrivate::parse(&allow)
            .map_err(|e| anyhow::anyhow!("webhook_allow_private: {e}"))?;
        let listen = env("YAJI_LISTEN").or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".into());
        let public_url = env("YAJI_PUBLIC_URL").or(file.public_url).unwrap_or_else(|| format!("http://{listen}"));
        let mail = env("YAJI_SMTP_URL").or(file.smtp_url).map(|smtp_url| yaji_app::notifications::email::MailConfig {
            smtp_url,
            from: env("YAJI_MAIL_FROM").or(file.mail_from.clone()).unwrap_or_else(|| "Yaji <noreply@localhost>".into()),
            public_url: public_url.clone(),
        });
        Ok(Settings {
            webhook_allow,
            mail,
            listen,
            data_dir,
            database_url,
            trusted_proxies,
            secure_cookies: env_bool("YAJI_SECURE_COOKIES").or(file.secure_cookies).unwrap_or(false),
            log: env("YAJI_LOG").or(env("RUST_LOG")).or(file.log).unwrap_or_else(|| "info,sqlx=warn".into()),
            log_json: env("YAJI_LOG_FORMAT").or(file.log_format).is_some_and(|f| f == "json"),
            demo: file.demo.unwrap_or(false),
            limits: file.limits.unwrap_or_default(),
            metrics_listen: env("YAJI_METRICS_LISTEN").or(file.metrics_listen),
            metrics_token: env("YAJI_METRICS_TOKEN").or(file.metrics_token),
        })
    }
}

pub fn init_logging(s: &Settings) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(&s.log).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if s.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}
