//! A mail server for tests: the plain SMTP dialogue (RFC 5321, no TLS, no authentication) on a
//! loopback port, keeping every message it accepts. The app sends to it with lettre's SMTP
//! transport as it would to a real relay, so a test reads the bytes a mail client would get.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A message as it was handed over: the envelope and the data after the dot-unstuffing.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Listens on an ephemeral loopback port for as long as the test's runtime lives.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let addr = listener.local_addr().expect("smtp address");
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, kept.clone()));
            }
        });
        Self { addr, received }
    }

    /// lettre's URL of this server (plain SMTP).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().expect("sink lock").clone()
    }
}

async fn converse(stream: TcpStream, received: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut envelope = Received {
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
    };
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let argument = || {
            command
                .split_once(':')
                .map(|(_, rest)| rest.trim().trim_matches(['<', '>']).to_owned())
                .unwrap_or_default()
        };
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "MAIL" => {
                envelope.from = argument();
                b"250 OK\r\n"
            }
            "RCPT" => {
                envelope.to.push(argument());
                b"250 OK\r\n"
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                envelope.data = read_data(&mut reader).await?;
                received.lock().expect("sink lock").push(std::mem::replace(
                    &mut envelope,
                    Received {
                        from: String::new(),
                        to: Vec::new(),
                        data: Vec::new(),
                    },
                ));
                b"250 OK queued\r\n"
            }
            "RSET" => {
                envelope.from.clear();
                envelope.to.clear();
                b"250 OK\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The lines of a DATA section up to the lone dot, a leading dot of each line removed.
async fn read_data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" {
            return Ok(data);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}
