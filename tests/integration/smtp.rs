//! A real SMTP server for the tests: `tests/smtp/server.py` (aiosmtpd, Debian's python3-aiosmtpd, which
//! `.ci/run` installs) on a free port, writing every message it accepts to a folder. Without aiosmtpd the
//! tests that need it say so and skip, unless `REQUIRE_TOOLS` is set (as in CI).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How the server behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode {
    /// Answer the first this many messages with 451.
    pub temporary: u32,
    /// Answer every message with 550.
    pub permanent: bool,
}

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PYTHON: &str = "/usr/bin/python3";

impl SmtpServer {
    /// Starts a server; `None` (after saying why) when aiosmtpd is not installed and tools are not required.
    pub fn start(mode: Mode) -> Option<Self> {
        let available = Command::new(PYTHON).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
        if !available {
            assert!(
                std::env::var_os("REQUIRE_TOOLS").is_none(),
                "REQUIRE_TOOLS is set but python3-aiosmtpd is missing"
            );
            eprintln!("skipped: python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/server.py");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new(PYTHON);
        command.arg(script).arg(dir.path()).args(["--port", &port.to_string()]);
        if mode.temporary > 0 {
            command.args(["--temporary", &mode.temporary.to_string()]);
        }
        if mode.permanent {
            command.arg("--permanent");
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("ready"), "SMTP server did not start: {line:?}");
        Some(Self { child, port, dir })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far, in order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    /// Waits until at least `n` messages have arrived (at most `timeout`), and returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Vec<u8>> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || std::time::Instant::now() > deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The id of the credential a message delivers: the one in its page link.
pub fn credential_in(message: &mail_parser::Message<'_>) -> Option<String> {
    let text = message.body_text(0)?;
    let at = text.find("/credentials/")? + "/credentials/".len();
    Some(text[at..].chars().take_while(|c| c.is_ascii_hexdigit() || *c == '-').collect())
}
