//! `bilheteria gate`: a check-in station for a laptop at the door. It downloads the session's
//! gate bundle, verifies codes offline (read by a scanner or typed, one per line), keeps its
//! scans in a local SQLite file, catches a ticket scanned twice at this station, syncs when the
//! server answers (and says clearly when it does not), and shows live counts.
//!
//! It is an outside user of the HTTP API (through `bilheteria-client`); the only rule it shares
//! with the server is the pure code check of `bilheteria_domain::tickets::verify_code`.

mod local;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bilheteria_client::{Client, ClientError, OfflineScan, PublicKey};
use bilheteria_domain::ids::SessionId;
use bilheteria_domain::screen::{self, ScreenCodes, ScreenError};
use bilheteria_domain::tickets::{CodeError, TicketClaims, verify_code};
use ed25519_dalek::VerifyingKey;
use local::{KnownTicket, Local};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

#[derive(Clone, Debug, clap::Args)]
pub struct StationArgs {
    /// The box office's address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The session this gate lets in.
    #[arg(long)]
    pub session: SessionId,
    /// This gate's name, as staff call it.
    #[arg(long, default_value = "Portão")]
    pub gate: String,
    /// A login token of a staff account of the event (or use --email and the password).
    #[arg(long, env = "BILHETERIA_GATE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[arg(long, env = "BILHETERIA_GATE_EMAIL")]
    pub email: Option<String>,
    #[arg(long, env = "BILHETERIA_GATE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The station's own SQLite file (default: gate-<session>.sqlite3 in the current directory).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Seconds between syncs while nobody scans.
    #[arg(long, default_value_t = 5)]
    pub sync_every: u64,
    /// Seconds to wait for the server before calling it offline.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

/// What the station says of one code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Admitted {
        place: String,
    },
    /// Let in at this station before.
    AlreadyHere {
        at: String,
    },
    /// Let in at another gate, as the last bundle or sync said.
    AlreadyUsed {
        gate: String,
        at: String,
    },
    Revoked,
    Invalid,
    WrongSession,
    /// The session takes only the live code on the ticket's screen.
    ScreenRequired,
    /// An on-screen code from another moment: a screenshot.
    ScreenExpired,
}

impl Verdict {
    fn word(&self) -> &'static str {
        match self {
            Verdict::Admitted { .. } => "admitted",
            Verdict::AlreadyHere { .. } | Verdict::AlreadyUsed { .. } => "ticket_used",
            Verdict::Revoked => "ticket_revoked",
            Verdict::Invalid => "invalid_ticket",
            Verdict::WrongSession => "ticket_wrong_session",
            Verdict::ScreenRequired => "screen_code_required",
            Verdict::ScreenExpired => "screen_code_expired",
        }
    }

    fn line(&self) -> String {
        match self {
            Verdict::Admitted { place } => format!("OK   ENTRADA LIBERADA  {place}"),
            Verdict::AlreadyHere { at } => {
                format!("NO   JÁ ENTROU por este portão às {at}")
            }
            Verdict::AlreadyUsed { gate, at } => format!("NO   JÁ ENTROU por {gate} às {at}"),
            Verdict::Revoked => "NO   INGRESSO CANCELADO ou com código substituído".to_owned(),
            Verdict::Invalid => "NO   CÓDIGO INVÁLIDO (não é um ingresso nosso)".to_owned(),
            Verdict::WrongSession => "NO   INGRESSO DE OUTRA SESSÃO".to_owned(),
            Verdict::ScreenRequired => {
                "NO   MOSTRE O INGRESSO NA TELA (só vale o código que muda)".to_owned()
            }
            Verdict::ScreenExpired => {
                "NO   CÓDIGO DE TELA VENCIDO (print de tela?): abra o ingresso ao vivo".to_owned()
            }
        }
    }
}

/// The station's judgement of a code, from what it knows offline: the code's signature and
/// session, the bundle's record of the ticket, and this station's own admission of it.
pub fn judge(
    claims: Result<TicketClaims, CodeError>,
    session: SessionId,
    known: Option<&KnownTicket>,
    admitted_here: Option<String>,
) -> Verdict {
    let Ok(claims) = claims else {
        return Verdict::Invalid;
    };
    if claims.session_id != session {
        return Verdict::WrongSession;
    }
    if let Some(at) = admitted_here {
        return Verdict::AlreadyHere { at };
    }
    match known {
        Some(ticket) if ticket.status == "cancelled" => Verdict::Revoked,
        Some(ticket) if i64::from(claims.version) < ticket.version => Verdict::Revoked,
        Some(ticket) if ticket.status == "used" && i64::from(claims.version) == ticket.version => {
            Verdict::AlreadyUsed {
                gate: ticket.admitted_gate.clone().unwrap_or_default(),
                at: ticket.admitted_at.clone().unwrap_or_default(),
            }
        }
        Some(ticket) => Verdict::Admitted {
            place: ticket.place.clone(),
        },
        // Sold after the last bundle: its signature is the proof.
        None => Verdict::Admitted {
            place: "(vendido após o último download)".to_owned(),
        },
    }
}

/// What a run of the station did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub scanned: usize,
    pub admitted: usize,
    pub refused: usize,
    pub waiting_to_sync: i64,
    pub online: bool,
}

struct Station<'o, W: Write> {
    args: StationArgs,
    client: Client,
    token: String,
    local: Local,
    keys: HashMap<u16, VerifyingKey>,
    online: bool,
    out: &'o mut W,
}

/// An RFC 3339 instant as the wall clock of the venue's zone shows it ("20:01:07").
fn clock(at: &str, zone: &str) -> String {
    OffsetDateTime::parse(at, &Rfc3339)
        .ok()
        .and_then(|at| {
            at.to_offset(bilheteria_domain::locale::offset_in(zone, at))
                .format(&time::macros::format_description!(
                    "[hour]:[minute]:[second]"
                ))
                .ok()
        })
        .unwrap_or_else(|| at.to_owned())
}

impl<W: Write> Station<'_, W> {
    fn say(&mut self, line: &str) -> anyhow::Result<()> {
        writeln!(self.out, "{line}")?;
        self.out.flush()?;
        Ok(())
    }

    /// Marks the station online or offline, saying so when that changes.
    fn reached(&mut self, result: &Result<(), ClientError>) -> anyhow::Result<()> {
        let online = !matches!(result, Err(ClientError::Transport(_)));
        if online != self.online {
            self.online = online;
            if online {
                self.say("== ONLINE: o servidor respondeu; sincronizando")?;
            } else {
                self.say("== OFFLINE: sem resposta do servidor; as leituras ficam guardadas aqui")?;
            }
        }
        if let Err(error) = result
            && !matches!(error, ClientError::Transport(_))
        {
            self.say(&format!("== o servidor recusou: {error}"))?;
        }
        Ok(())
    }

    fn load_keys(&mut self, keys: &[PublicKey]) {
        for key in keys {
            let bytes = URL_SAFE_NO_PAD.decode(&key.public_key).ok();
            let key_bytes: Option<[u8; 32]> = bytes.and_then(|b| b.try_into().ok());
            if let Some(verifying) = key_bytes.and_then(|b| VerifyingKey::from_bytes(&b).ok()) {
                self.keys.insert(key.key_id, verifying);
            }
        }
    }

    /// Downloads what changed since the last bundle (all pages).
    async fn refresh(&mut self) -> Result<(), ClientError> {
        loop {
            let since = self.local.since().await.map_err(local_error)?;
            let bundle = self
                .client
                .gate_bundle(
                    &self.token,
                    &self.args.session.to_string(),
                    since.as_deref(),
                )
                .await?;
            self.local
                .store_bundle(&bundle)
                .await
                .map_err(local_error)?;
            self.load_keys(&bundle.keys);
            if bundle.complete {
                return Ok(());
            }
        }
    }

    /// Sends the admissions not synced yet, and notes what the server says of them.
    async fn sync(&mut self) -> anyhow::Result<()> {
        let pending = self.local.unsynced(500).await?;
        if !pending.is_empty() {
            let sent = self.client.sync_scans(&self.token, &pending).await;
            match sent {
                Ok(answer) => {
                    let zone = self.local.time_zone().await?;
                    for result in &answer.results {
                        self.local
                            .mark_synced(&result.nonce, &result.result)
                            .await?;
                        if result.result == "duplicate" {
                            let line = format!(
                                "!!   o servidor diz: o ingresso lido às {} já tinha entrado por {} às {}",
                                clock(&result.scanned_at, &zone),
                                result.first_gate.clone().unwrap_or_default(),
                                clock(result.first_scan_at.as_deref().unwrap_or_default(), &zone)
                            );
                            self.say(&line)?;
                        } else if result.result != "admitted" {
                            let line = format!(
                                "!!   o servidor diz {} do ingresso lido às {}",
                                result.result,
                                clock(&result.scanned_at, &zone)
                            );
                            self.say(&line)?;
                        }
                    }
                    self.reached(&Ok(()))?;
                }
                Err(error) => {
                    self.reached(&Err(error))?;
                    return Ok(());
                }
            }
        }
        let refreshed = self.refresh().await;
        self.reached(&refreshed)
    }

    async fn scan(&mut self, code: &str, summary: &mut Summary) -> anyhow::Result<()> {
        let scanned = if code.chars().count() > bilheteria_domain::gate::MAX_CODE_CHARS {
            Err(ScreenError::Malformed)
        } else {
            screen::split(code)
        };
        let claims = match &scanned {
            Ok(scanned) => verify_code(scanned.signed, |id| self.keys.get(&id).copied()),
            Err(_) => Err(CodeError::Malformed),
        };
        let on_screen = match (&scanned, &claims) {
            (Ok(scanned), Ok(claims)) => {
                let (mode, secret) = self.local.screen_rule().await?;
                let mode = ScreenCodes::parse(&mode).unwrap_or_default();
                let secret = URL_SAFE_NO_PAD.decode(secret).unwrap_or_default();
                screen::check(
                    scanned,
                    mode,
                    &secret,
                    claims.ticket_id,
                    claims.version,
                    OffsetDateTime::now_utc(),
                )
            }
            _ => Ok(()),
        };
        let (known, here) = match &claims {
            Ok(claims) => (
                self.local.ticket(claims.ticket_id).await?,
                self.local.admitted_here(claims.ticket_id).await?,
            ),
            Err(_) => (None, None),
        };
        // Times as the venue's wall clock shows them.
        let zone = self.local.time_zone().await?;
        let known = known.map(|mut ticket| {
            ticket.admitted_at = ticket.admitted_at.map(|at| clock(&at, &zone));
            ticket
        });
        let verdict = match on_screen {
            Err(ScreenError::Required) => Verdict::ScreenRequired,
            Err(ScreenError::Expired) => Verdict::ScreenExpired,
            Err(_) => Verdict::Invalid,
            Ok(()) => judge(
                claims,
                self.args.session,
                known.as_ref(),
                here.map(|at| clock(&at, &zone)),
            ),
        };
        summary.scanned += 1;
        if let (Verdict::Admitted { .. }, Ok(claims)) = (&verdict, claims) {
            summary.admitted += 1;
            let scan = OfflineScan {
                code: code.to_owned(),
                gate: self.args.gate.clone(),
                nonce: format!("station-{}", uuid::Uuid::now_v7().simple()),
                scanned_at: OffsetDateTime::now_utc().format(&Rfc3339)?,
            };
            self.local.record_admission(&scan, claims.ticket_id).await?;
        } else {
            summary.refused += 1;
            self.local.record_refusal(code, verdict.word()).await?;
        }
        self.say(&verdict.line())?;
        Ok(())
    }

    async fn status(&mut self) -> anyhow::Result<i64> {
        let (admitted, waiting) = self.local.counts().await?;
        let line = format!(
            "--   entradas aqui: {admitted} · aguardando sincronizar: {waiting} · {}",
            if self.online { "online" } else { "OFFLINE" }
        );
        self.say(&line)?;
        Ok(waiting)
    }
}

fn local_error(error: anyhow::Error) -> ClientError {
    ClientError::Unreadable {
        status: 0,
        reason: format!("the station's own file: {error:#}"),
    }
}

/// Runs the station on `input` (one code per line) until it ends, writing to `out`.
pub async fn run_with<R, W>(args: StationArgs, input: R, out: &mut W) -> anyhow::Result<Summary>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    let client = Client::with_timeout(&args.server, 2, Duration::from_secs(args.timeout.max(1)))?;
    let token = match (&args.token, &args.email, &args.password) {
        (Some(token), _, _) => token.clone(),
        (None, Some(email), Some(password)) => {
            client
                .login(email, password, &format!("gate-{}", args.gate))
                .await
                .context("logging in (the station needs the server once, to log in)")?
                .token
        }
        _ => bail!("give --token, or --email and the password (BILHETERIA_GATE_PASSWORD)"),
    };
    let path = args
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("gate-{}.sqlite3", args.session)));
    let local = Local::open(&path, args.session).await?;
    let mut station = Station {
        args,
        client,
        token,
        local,
        keys: HashMap::new(),
        online: true,
        out,
    };
    let cached = station.local.cached_keys().await?;
    station.load_keys(&cached);
    let first = station.refresh().await;
    station.reached(&first)?;
    if station.keys.is_empty() {
        bail!("no bundle: the server must be reached once before the station can work offline");
    }
    if let Some(title) = station.local.session_title().await? {
        let line = format!(
            "== {title} · {} · {}",
            station.args.gate,
            if station.online {
                "bundle atualizado"
            } else {
                "usando o último bundle baixado"
            }
        );
        station.say(&line)?;
    }
    station.sync().await?;
    let mut summary = Summary::default();
    let mut lines = input.lines();
    let mut every = tokio::time::interval(Duration::from_secs(station.args.sync_every.max(1)));
    every.tick().await;
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                let code = line.trim();
                if code.is_empty() {
                    continue;
                }
                station.scan(code, &mut summary).await?;
                station.sync().await?;
                station.status().await?;
            }
            _ = every.tick() => {
                station.sync().await?;
            }
        }
    }
    station.sync().await?;
    summary.waiting_to_sync = station.status().await?;
    summary.online = station.online;
    Ok(summary)
}

/// `bilheteria gate`: the station on standard input and output.
pub async fn run(args: StationArgs) -> anyhow::Result<Summary> {
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let mut stdout = std::io::stdout();
    run_with(args, stdin, &mut stdout).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilheteria_domain::ids::TicketId;

    fn claims(session: SessionId, version: u32) -> Result<TicketClaims, CodeError> {
        Ok(TicketClaims {
            key_id: 1,
            ticket_id: TicketId::new(),
            session_id: session,
            seat_id: None,
            version,
        })
    }

    fn known(status: &str, version: i64) -> KnownTicket {
        KnownTicket {
            version,
            status: status.into(),
            place: "Pista".into(),
            admitted_gate: (status == "used").then(|| "Portão B".to_owned()),
            admitted_at: (status == "used").then(|| "20:01:00".to_owned()),
        }
    }

    #[test]
    fn the_station_judges_a_code_from_what_it_knows_offline() {
        let session = SessionId::new();
        assert_eq!(
            judge(Err(CodeError::BadSignature), session, None, None),
            Verdict::Invalid
        );
        assert_eq!(
            judge(claims(SessionId::new(), 1), session, None, None),
            Verdict::WrongSession
        );
        assert_eq!(
            judge(
                claims(session, 1),
                session,
                Some(&known("valid", 1)),
                Some("20:00:00".into())
            ),
            Verdict::AlreadyHere {
                at: "20:00:00".into()
            }
        );
        assert_eq!(
            judge(claims(session, 1), session, Some(&known("valid", 2)), None),
            Verdict::Revoked,
            "an older version"
        );
        assert_eq!(
            judge(
                claims(session, 2),
                session,
                Some(&known("cancelled", 2)),
                None
            ),
            Verdict::Revoked
        );
        assert_eq!(
            judge(claims(session, 1), session, Some(&known("used", 1)), None),
            Verdict::AlreadyUsed {
                gate: "Portão B".into(),
                at: "20:01:00".into()
            }
        );
        assert_eq!(
            judge(claims(session, 1), session, Some(&known("valid", 1)), None),
            Verdict::Admitted {
                place: "Pista".into()
            }
        );
        assert!(
            matches!(
                judge(claims(session, 3), session, Some(&known("valid", 2)), None),
                Verdict::Admitted { .. }
            ),
            "a newer version than the bundle's (passed on since)"
        );
        assert!(
            matches!(
                judge(claims(session, 1), session, None, None),
                Verdict::Admitted { .. }
            ),
            "sold after the bundle"
        );
    }
}
