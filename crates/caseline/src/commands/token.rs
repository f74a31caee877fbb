//! `caseline token create|list|revoke`: bearer tokens, administered from the command line.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;
use uuid::Uuid;

use super::{StoreArg, open_existing};

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Creates a token and prints `{ "id", "token" }`; the secret is shown only this once.
    Create {
        /// recorder, front_door, auditor, inspector or admin.
        #[arg(long)]
        role: String,
        /// kind:name, e.g. school:norwich-high.
        #[arg(long)]
        agency: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Lists tokens (never their secrets) as JSON.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Revokes a token at once.
    Revoke {
        id: Uuid,
        #[command(flatten)]
        store: StoreArg,
    },
}

pub(crate) async fn run(command: TokenCommand) -> Result<ExitCode> {
    match command {
        TokenCommand::Create {
            role,
            agency,
            name,
            store,
        } => {
            let store = open_existing(&store.store).await?;
            let (record, secret) =
                api::auth::create_token(store.as_ref(), &agency, &role, &name).await?;
            let out = serde_json::json!({
                "id": record.id, "token": secret, "agency": record.agency, "role": record.role, "name": record.name,
            });
            println!("{out}");
        }
        TokenCommand::List { store } => {
            let store = open_existing(&store.store).await?;
            let tokens: Vec<serde_json::Value> = store
                .tokens()
                .await?
                .into_iter()
                .map(|t| {
                    serde_json::json!({
                        "id": t.id, "agency": t.agency, "role": t.role, "name": t.name,
                        "created_at": t.created_at, "revoked_at": t.revoked_at,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "tokens": tokens }))?
            );
        }
        TokenCommand::Revoke { id, store } => {
            let store = open_existing(&store.store).await?;
            if !store.revoke_token(id, chrono::Utc::now()).await? {
                bail!("no token with id {id}");
            }
            eprintln!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
