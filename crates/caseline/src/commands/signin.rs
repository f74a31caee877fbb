//! People signing in: `caseline signin-link`, the identity provider's flags for `serve`, and
//! the links `caseline demo` prints.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use api::Config;
use api::config::{ClaimMapping, OidcConfig};
use api::session::Identity;
use clap::Args;

/// `caseline signin-link`: prints a single-use link, valid ten minutes, that opens a browser
/// session for a person (deployments without an identity provider, and the demo).
#[derive(Args)]
pub(crate) struct SigninLink {
    /// recorder, front_door, auditor, inspector or admin.
    #[arg(long)]
    role: String,
    /// kind:name, e.g. council:audit.
    #[arg(long)]
    agency: String,
    /// The person's name, as every read they make is logged under it.
    #[arg(long)]
    name: String,
    /// A page on this server to open after signing in, e.g. /v1/reports/inspection.
    #[arg(long)]
    next: Option<String>,
    /// Where the server listens (the link is made for it).
    #[arg(long, env = "CASELINE_LISTEN", default_value = Config::DEFAULT_LISTEN)]
    listen: String,
    /// Where browsers reach the server, when not at --listen (e.g. behind a proxy).
    #[arg(long, env = "CASELINE_PUBLIC_URL")]
    public_url: Option<String>,
    #[command(flatten)]
    store: super::StoreArg,
}

/// The sign-in flags of `caseline serve`.
#[derive(Args, Clone)]
pub(crate) struct ServeSignin {
    /// Where people's browsers reach this server, e.g. https://caseline.council.gov.uk; the
    /// identity provider sends them back to <URL>/signin/callback. Default http://<listen>.
    #[arg(long, env = "CASELINE_PUBLIC_URL")]
    public_url: Option<String>,
    /// Seconds a browser session lasts without a page being opened.
    #[arg(long, env = "CASELINE_SESSION_IDLE_SECS", default_value_t = Config::DEFAULT_SESSION_IDLE_SECS)]
    session_idle_secs: u64,
    /// Seconds a browser session lasts at most after sign-in.
    #[arg(long, env = "CASELINE_SESSION_MAX_SECS", default_value_t = Config::DEFAULT_SESSION_MAX_SECS)]
    session_max_secs: u64,
    /// The council's OpenID Connect issuer URL (https://, or http:// on this machine). Without
    /// it, people sign in with links from `caseline signin-link`.
    #[arg(long, env = "CASELINE_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// This server's client id at the identity provider.
    #[arg(long, env = "CASELINE_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// Its client secret (from the environment only: a flag would show it to anyone who can
    /// list processes).
    #[arg(skip)]
    oidc_client_secret: Option<String>,
    /// The claim mapped to a role and agency (a string or a list of strings).
    #[arg(long, env = "CASELINE_OIDC_ROLE_CLAIM", default_value = "groups")]
    oidc_role_claim: String,
    /// VALUE=ROLE:AGENCY, repeated or comma-separated: a person whose claim holds VALUE signs in
    /// with ROLE for AGENCY (the first that matches wins), e.g.
    /// caseline-auditors=auditor:council:norfolk.
    #[arg(long, env = "CASELINE_OIDC_MAP", value_delimiter = ',')]
    oidc_map: Vec<ClaimMapping>,
    /// The scopes asked for.
    #[arg(long, env = "CASELINE_OIDC_SCOPES", default_value = "openid profile")]
    oidc_scopes: String,
}

/// Puts the sign-in flags into the server's configuration.
pub(crate) fn configure(config: &mut Config, s: ServeSignin) -> Result<()> {
    config.public_url = s.public_url;
    config.session_idle_secs = s.session_idle_secs.max(1);
    config.session_max_secs = s.session_max_secs.max(1);
    let secret = s
        .oidc_client_secret
        .or_else(|| std::env::var("CASELINE_OIDC_CLIENT_SECRET").ok())
        .filter(|v| !v.is_empty());
    config.oidc = match (s.oidc_issuer, s.oidc_client_id, secret) {
        (None, None, _) => None,
        (Some(issuer), Some(client_id), Some(client_secret)) => Some(OidcConfig {
            issuer,
            client_id,
            client_secret,
            role_claim: s.oidc_role_claim,
            map: s.oidc_map,
            scopes: s.oidc_scopes,
        }),
        _ => bail!(
            "an identity provider needs all of --oidc-issuer, --oidc-client-id and CASELINE_OIDC_CLIENT_SECRET"
        ),
    };
    Ok(())
}

/// `caseline signin-link`.
pub(crate) async fn signin_link(s: SigninLink) -> Result<ExitCode> {
    let identity = Identity::new(&s.role, &s.agency, &s.name)?;
    let store = super::open_existing(&s.store.store).await?;
    let base = match &s.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", s.listen),
    };
    let link = make_link(store.as_ref(), &identity, &base, s.next.as_deref()).await?;
    println!("{link}");
    Ok(ExitCode::SUCCESS)
}

/// Writes a link's grant and returns the link.
pub(crate) async fn make_link(
    store: &dyn store::EventStore,
    identity: &Identity,
    base: &str,
    next: Option<&str>,
) -> Result<String> {
    let secret = api::session::create_link(store, identity, chrono::Utc::now())
        .await
        .context("writing the sign-in link")?;
    let mut link = format!("{base}/signin/link/{secret}");
    if let Some(next) = next {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", next)
            .finish();
        link = format!("{link}?{q}");
    }
    Ok(link)
}

/// The demo's people: made before the server starts, printed once its address is known.
pub(crate) struct DemoPeople {
    links: Vec<(&'static str, String, Option<String>)>,
}

impl DemoPeople {
    /// An auditor (who opens a journey) and an inspector (who opens the report).
    pub(crate) async fn create(
        store: &dyn store::EventStore,
        journey: Option<String>,
        report: String,
    ) -> Result<DemoPeople> {
        let mut links = Vec::new();
        for (who, role, agency, name, next) in [
            (
                "auditor",
                "auditor",
                "council:audit",
                "Ann Auditor",
                journey,
            ),
            (
                "inspector",
                "inspector",
                "ofsted:inspection",
                "Ian Inspector",
                Some(report),
            ),
        ] {
            let identity = Identity::new(role, agency, name)?;
            // The base is filled in once the server's address is known.
            let link = make_link(store, &identity, "", next.as_deref()).await?;
            links.push((who, link, next));
        }
        Ok(DemoPeople { links })
    }

    /// Prints each link, for the server at `addr`.
    pub(crate) fn print(&self, addr: SocketAddr) {
        println!(
            "sign in from a browser (each link works once, for 10 minutes; `caseline signin-link` makes more):"
        );
        for (who, link, _) in &self.links {
            println!("{who:>10}: http://{addr}{link}");
        }
    }
}
