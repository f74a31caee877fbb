//! `caseline returns cin-census` and `caseline returns annex-a`: the statutory returns written
//! from the store to a file (or stdout), through the same production code as the API
//! (`api::production`), and logged like the API's productions (as the command line's).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use api::production::{self, Naming};
use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use returns::{CollectionYear, Source, Window};

use super::{CensusSource, StoreArg, open_existing};

/// Who a command-line production is logged as.
const AGENCY: &str = "command-line";
const ROLE: &str = "operator";

#[derive(Subcommand)]
pub(crate) enum ReturnsCommand {
    /// The DfE's Children in Need census XML for a collection year (1 April to 31 March).
    CinCensus {
        /// The collection year, e.g. 2025-26.
        #[arg(long)]
        year: CollectionYear,
        /// The file to write (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        source: CensusSource,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Ofsted's Annex A lists 1-7 as an .xlsx workbook, for the months ending on --to.
    AnnexA {
        /// The window's last day, YYYY-MM-DD.
        #[arg(long)]
        to: NaiveDate,
        /// How many months the window covers.
        #[arg(long, default_value_t = 6)]
        months: u32,
        /// The file to write (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArg,
    },
}

pub(crate) async fn run(command: ReturnsCommand) -> Result<ExitCode> {
    match command {
        ReturnsCommand::CinCensus {
            year,
            out,
            source,
            store,
        } => {
            let Some(la) = source.la_code.as_deref() else {
                bail!(
                    "the census needs the council's three-digit LA code: give --la-code (or CASELINE_LA_CODE)"
                );
            };
            let source =
                Source::new(la, &source.software_code).context("--la-code / --software-code")?;
            let store = open_existing(&store.store).await?;
            let started = Instant::now();
            production::log_production(
                store.as_ref(),
                None,
                AGENCY,
                ROLE,
                format!("return:cin-census?year={year}"),
            )
            .await
            .context("logging the production (nothing is written unless it is logged)")?;
            let mut sink = open_out(out.as_deref())?;
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
            let produce = production::census(store, year, &source, Utc::now(), tx);
            let write = async {
                while let Some(chunk) = rx.recv().await {
                    sink.write_all(&chunk)?;
                }
                sink.flush()
            };
            let (produced, written) = tokio::join!(produce, write);
            let children = produced.context("producing the census")?;
            written.context("writing the census")?;
            eprintln!(
                "caseline: census {year}: {children} children in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        ReturnsCommand::AnnexA {
            to,
            months,
            out,
            store,
        } => {
            let window = Window::ending(to, months).context("--months")?;
            let store = open_existing(&store.store).await?;
            let started = Instant::now();
            production::log_production(
                store.as_ref(),
                None,
                AGENCY,
                ROLE,
                format!("return:annex-a?from={}&to={}", window.from(), window.to()),
            )
            .await
            .context("logging the production (nothing is written unless it is logged)")?;
            let annex = production::annex_a(store, window, Naming::Council)
                .await
                .context("producing Annex A")?;
            let bytes = returns::workbook::xlsx(&annex)?;
            let mut sink = open_out(out.as_deref())?;
            sink.write_all(&bytes)?;
            sink.flush()?;
            let rows: usize = annex.lists().iter().map(|l| l.rows.len()).sum();
            eprintln!(
                "caseline: Annex A {} to {}: {rows} rows in {:.1} s",
                window.from(),
                window.to(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn open_out(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}
