//! Building the app and running it: routes, middleware, limits, and a graceful stop.
//!
//! [`start`] opens the store, binds, and returns a [`Running`] server whose address is known
//! (port 0 picks a free one, which is how the black-box tests run it). On SIGTERM or SIGINT
//! actix stops accepting, lets in-flight requests finish (an append answers only once
//! durable, so nothing acknowledged is lost), and [`Running::wait`] then drops the store,
//! which flushes and closes it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use domain::framework::Framework;
use store::EventStore;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::problem::{ApiError, ErrorKind};
use crate::rate_limit::Limiter;
use crate::routes::{
    admin, children, health, reads, records, report, returns, review, signin, tokens,
};
use crate::state::AppState;
use crate::telemetry;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the framework {0:?} is not known: use norfolk or staffordshire")]
    Framework(String),
    #[error("the store could not be opened")]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    PseudonymKey(#[from] crate::pseudonym_key::KeyError),
    #[error("the identity provider's configuration cannot be used: {0}")]
    Oidc(String),
    #[error("could not listen on {addr}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A started server.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    state: AppState,
}

impl Running {
    /// Stops gracefully: in-flight requests finish first.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
        persist_read_model(&self.state).await;
    }

    /// Waits until the server stops (a signal, or [`ServerHandle::stop`]).
    pub async fn wait(self) -> std::io::Result<()> {
        let result = self
            .task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        persist_read_model(&self.state).await;
        drop(self.state);
        result
    }

    /// A handle that stops the server from elsewhere.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// The store the server writes to.
    pub fn store(&self) -> Arc<dyn EventStore> {
        self.state.store.clone()
    }
}

/// Saves the read model's changed children on the way out, so the next start need not apply
/// those events again (nothing would be lost without it: the saved position would be older).
async fn persist_read_model(state: &AppState) {
    if let Err(e) = state.projections.persist().await {
        tracing::warn!(error = %e, "the read model could not be saved on stopping; the next start catches up");
    }
}

/// Opens the store the configuration names and starts serving.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let store = store::open(&config.store_url).await?;
    start_with(config, store).await
}

/// Starts serving over an open store.
pub async fn start_with(config: Config, store: Arc<dyn EventStore>) -> Result<Running, StartError> {
    let framework = Framework::by_name(&config.framework)
        .map_err(|_| StartError::Framework(config.framework.clone()))?;
    // Installed before the first request so every series exists from the start.
    telemetry::metrics_handle();
    let projections = projection::Projections::load(store.clone(), framework).await?;
    // From a file or the environment, never the store, so no backup of the store carries it;
    // a key an older version kept in the store is moved out here.
    let pseudonym_key =
        crate::pseudonym_key::load(&config.pseudonym_key, &config.store_url, store.as_ref())
            .await?;
    let oidc = match &config.oidc {
        Some(c) => {
            let issuer = url::Url::parse(&c.issuer).map_err(|e| {
                StartError::Oidc(format!("the issuer {:?} is not a URL: {e}", c.issuer))
            })?;
            // The provider's answers decide who may read children's records: only over TLS,
            // but for a provider on this machine (a developer's, the tests').
            let loopback = matches!(issuer.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                || matches!(issuer.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                || issuer.host_str() == Some("localhost");
            if issuer.scheme() != "https" && !loopback {
                return Err(StartError::Oidc(format!(
                    "the issuer {:?} must be https:// (plain http only on this machine)",
                    c.issuer
                )));
            }
            if c.map.is_empty() {
                return Err(StartError::Oidc(
                    "no claim value is mapped to a role: give --oidc-map GROUP=ROLE:AGENCY".into(),
                ));
            }
            Some(Arc::new(
                crate::oidc::Oidc::new(c.clone()).map_err(|e| StartError::Oidc(e.to_string()))?,
            ))
        }
        None => None,
    };
    let handed_over = projections.clone();
    let state = AppState {
        oidc,
        projections,
        pseudonym_key: Arc::new(pseudonym_key),
        acknowledged: Arc::default(),
        token_checks: Arc::new(crate::token_checks::TokenChecks::start(store.clone())),
        store: store.clone(),
        framework,
        limiter: Arc::new(Limiter::new(
            config.rate_per_second,
            config.rate_burst,
            config.auth_failures_per_minute,
            config.auth_failure_burst,
        )),
        config: Arc::new(config.clone()),
        kept_journeys: Arc::new(crate::kept_journeys::KeptJourneys::new(
            config.kept_journeys_bytes,
        )),
        casework: Arc::new(
            casework::Casework::new(store.clone(), framework, config.child_cache_events)
                // The read model takes what this process appends as the domain decided it,
                // rather than reading it back from the store and parsing it again.
                .on_appended(Box::new(move |stored, decided| {
                    handed_over.offer(stored, decided);
                })),
        ),
    };
    // Served as built, not through utoipa's types: they drop what they do not model (a link's
    // `operationId` comes back out as `operation_id`, so utoipa 5.5 loses it).
    let openapi = crate::openapi::document();
    let data = web::Data::new(state.clone());
    let file_limit = crate::connections::raise_file_limit(config.max_connections);
    let cap = crate::connections::effective_cap(config.max_connections, file_limit);
    if cap < config.max_connections {
        tracing::warn!(
            configured = config.max_connections,
            cap,
            file_limit,
            "the connection cap is lowered to stay below the open-files limit"
        );
    }
    let workers = if config.workers > 0 {
        config.workers
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    };
    let connections = crate::connections::Connections::new(cap);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::QueryConfig::default().error_handler(|e, req| {
                crate::params::explain(req.query_string(), &e.to_string()).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|e, _| {
                ApiError::new(
                    ErrorKind::InvalidParameter,
                    format!("a path segment is not valid: {e}"),
                )
                .with_field(
                    "path",
                    "an id is a UUID such as 6a1f0c2e-4d3b-4b8e-9a57-2f1d3c4b5a69",
                )
                .into()
            }))
            .wrap(from_fn(crate::connections::refuse_over_cap))
            .wrap(from_fn(telemetry::observe))
            // Outside `observe`, so the problems it writes carry the headers too.
            .wrap(from_fn(telemetry::security_headers))
            .configure(routes)
            // `/docs` without its slash would be an unknown route: send people on to the page.
            .route(
                "/docs",
                web::get().to(|| async {
                    actix_web::HttpResponse::PermanentRedirect()
                        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .external_url_unchecked("/openapi.json", openapi.clone()),
            )
            .default_service(web::to(unknown_route))
    })
    .shutdown_timeout(config.shutdown_timeout_secs)
    .workers(workers)
    .max_connections(crate::connections::per_worker(cap, workers))
    .on_connect(connections.on_connect())
    // A connection that sends nothing is dropped soon, so idle ones cannot hold the cap.
    .client_request_timeout(Duration::from_millis(config.request_head_timeout_ms.max(1)))
    .keep_alive(Duration::from_secs(config.keep_alive_secs));
    tracing::info!(cap, workers, file_limit, "connection cap");
    let server = server
        .bind(config.listen)
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = server.addrs().first().copied().unwrap_or(config.listen);
    let server = server.run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    // Catch up in the background: per-child reads answer at once, and /ready says when the
    // cross-child views have caught up.
    tokio::spawn(state.projections.clone().follow(Duration::from_secs(2)));
    // Forget rate-limit state of idle tokens now and then, so memory stays bounded.
    let limiter = state.limiter.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limiter.shrink();
        }
    });
    tracing::info!(%addr, framework = framework.name(), "caseline listening");
    Ok(Running {
        addr,
        handle,
        task,
        state,
    })
}

/// Every route of the contract.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // Browsers ask for an icon with every page; there is none, and "none" is not an error.
    cfg.route(
        "/favicon.ico",
        web::get().to(|| async { HttpResponse::NoContent().finish() }),
    )
    .route("/health", web::get().to(health::health))
    .route("/ready", web::get().to(health::ready))
    .route("/metrics", web::get().to(health::metrics))
    .service(
        web::resource("/v1/children")
            .route(web::post().to(children::register))
            .route(web::get().to(children::lookup)),
    )
    .service(web::resource("/v1/children/{child_id}").route(web::get().to(reads::case)))
    .service(
        web::resource("/v1/children/{child_id}/records").route(web::post().to(records::append_one)),
    )
    .service(
        web::resource("/v1/children/{child_id}/records:batch")
            .route(web::post().to(records::append_batch)),
    )
    .service(web::resource("/v1/children/{child_id}/journey").route(web::get().to(reads::journey)))
    .service(web::resource("/v1/children/{child_id}/audit").route(web::get().to(reads::audit)))
    .service(web::resource("/v1/children/{child_id}/consent").route(web::get().to(reads::consent)))
    .service(web::resource("/v1/children/{child_id}/events").route(web::get().to(reads::events)))
    .service(web::resource("/v1/disagreements").route(web::get().to(review::list)))
    .service(web::resource("/v1/disagreements/{disagreement_id}").route(web::get().to(review::one)))
    .service(web::resource("/v1/reports/inspection").route(web::get().to(report::inspection)))
    .service(web::resource("/v1/returns/cin-census").route(web::get().to(returns::cin_census)))
    .service(web::resource("/v1/returns/annex-a").route(web::get().to(returns::annex_a)))
    .service(web::resource("/v1/admin/projections/rebuild").route(web::post().to(admin::rebuild)))
    .service(
        web::resource("/v1/tokens")
            .route(web::post().to(tokens::create))
            .route(web::get().to(tokens::list)),
    )
    .service(web::resource("/v1/tokens/{token_id}").route(web::delete().to(tokens::revoke)))
    // People in a browser: not in the OpenAPI document, which is for agency systems.
    .route("/signin", web::get().to(signin::start))
    .route("/signin/callback", web::get().to(signin::callback))
    .route("/signin/link/{token}", web::get().to(signin::link))
    .route("/session", web::get().to(signin::landing))
    .route("/signout", web::post().to(signin::sign_out));
}

async fn unknown_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorKind::NotFound,
        "there is no such route; see /openapi.json",
    ))
}
