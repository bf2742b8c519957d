//! What a command run inside a container (`kubectl exec POD -- CMD`) does, by its programs:
//! only reads, writes files, deletes data, kills processes, installs packages, or something not
//! known. A change inside a running container is not in any object's spec: the replay cannot
//! model it, so anything but a read leaves the run's safety not established, and rules judge the
//! destructive classes (`exec_class`).

use super::shell;

/// What a command run in a container does, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExecClass {
    /// Deletes files or data (`rm`, `truncate`, `find -delete`, `DROP TABLE`, `FLUSHALL`).
    Delete,
    /// Kills processes or stops the container (`kill`, `pkill`, `reboot`).
    Kill,
    /// Installs or removes packages (`apt-get`, `apk`, `pip`).
    Install,
    /// Writes files (`touch`, `cp`, `sed -i`, a `>` redirection).
    Write,
    /// A program whose effect is not known (`python`, a custom binary).
    Unknown,
    /// Only reads (`cat`, `ls`, `env`, `ps`, `curl`, `nslookup`).
    Read,
}

impl ExecClass {
    pub fn name(self) -> &'static str {
        match self {
            ExecClass::Delete => "delete",
            ExecClass::Kill => "kill",
            ExecClass::Install => "install",
            ExecClass::Write => "write",
            ExecClass::Unknown => "unknown",
            ExecClass::Read => "read",
        }
    }
}

const READ: &[&str] = &[
    "cat",
    "ls",
    "env",
    "printenv",
    "ps",
    "top",
    "df",
    "du",
    "id",
    "whoami",
    "hostname",
    "date",
    "echo",
    "printf",
    "curl",
    "wget",
    "nslookup",
    "dig",
    "host",
    "ping",
    "nc",
    "netstat",
    "ss",
    "grep",
    "egrep",
    "head",
    "tail",
    "stat",
    "uname",
    "mount",
    "pwd",
    "which",
    "sleep",
    "true",
    "test",
    "ip",
    "ifconfig",
    "getent",
    "uptime",
    "free",
    "wc",
    "sort",
    "uniq",
    "awk",
    "jq",
    "tr",
    "cut",
    "less",
    "more",
    "file",
    "readlink",
    "realpath",
    "nproc",
    "lsof",
    "openssl",
    "timeout",
    "traceroute",
    "telnet",
    "base64",
    "md5sum",
    "sha256sum",
    "find",
    "sed",
    "xargs",
    "ulimit",
    "seq",
    "pg_isready",
    "set",
    "cd",
    "export",
    "exit",
    "[",
    "read",
    "getent",
    "busybox",
    "until",
];
const DELETE: &[&str] = &[
    "rm", "rmdir", "unlink", "shred", "truncate", "dropdb", "wipefs",
];
const KILL: &[&str] = &[
    "kill",
    "pkill",
    "killall",
    "reboot",
    "shutdown",
    "halt",
    "poweroff",
    "supervisorctl",
];
const INSTALL: &[&str] = &[
    "apt", "apt-get", "yum", "dnf", "apk", "microdnf", "pip", "pip3", "npm", "gem", "dpkg", "rpm",
];
const WRITE: &[&str] = &[
    "touch", "mkdir", "cp", "mv", "tee", "chmod", "chown", "ln", "dd", "tar", "unzip", "gzip",
];
/// Words of a database or cache client's command that delete data.
const DELETING_WORDS: &[&str] = &[
    "drop ",
    "delete ",
    "truncate ",
    "flushall",
    "flushdb",
    " del ",
    "dropdatabase",
];

/// What a command run in a container does: its class, and the command that gave it (for a
/// class other than read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecVerdict {
    pub class: ExecClass,
    pub by: Option<String>,
}

/// Class a command run in a container (its argv as recorded).
pub fn classify(command: &[String]) -> ExecVerdict {
    let line = command
        .iter()
        .map(|w| shell::quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    classify_line(&line, 0)
}

/// Programs that run the rest of their words as another command.
const WRAPPERS: &[&str] = &[
    "timeout", "busybox", "command", "nice", "nohup", "time", "env",
];

fn classify_line(line: &str, depth: usize) -> ExecVerdict {
    let Ok(script) = shell::parse(line) else {
        return ExecVerdict {
            class: ExecClass::Unknown,
            by: Some(format!("`{line}` (shell syntax not read)")),
        };
    };
    let mut worst = ExecVerdict {
        class: ExecClass::Read,
        by: None,
    };
    for cmd in &script.commands {
        let mut words: Vec<&str> = shell::command_words(&cmd.words)
            .iter()
            .map(|w| w.text.as_str())
            .collect();
        // `timeout 2 cmd`, `busybox df`, `env A=b cmd`.
        while let Some(first) = words.first() {
            let base = first.rsplit('/').next().unwrap_or(first);
            if !WRAPPERS.contains(&base) || words.len() < 2 {
                break;
            }
            words.remove(0);
            while words.first().is_some_and(|w| {
                w.starts_with('-') || w.contains('=') || w.starts_with(|c: char| c.is_ascii_digit())
            }) && words.len() > 1
            {
                words.remove(0);
            }
        }
        let Some(first) = words.first() else { continue };
        let program = first.rsplit('/').next().unwrap_or(first);
        // `nginx -v`, `java --version`, `nginx -T` (print the configuration): probes read.
        let probe = words.len() == 2
            && (matches!(words[1], "-v" | "-V" | "--version" | "version" | "-version")
                || (program == "nginx" && matches!(words[1], "-t" | "-T")));
        let class = match program {
            _ if probe => ExecClass::Read,
            "sh" | "bash" | "ash" | "dash" | "zsh" if depth < 3 => {
                match words
                    .iter()
                    .position(|w| w.starts_with('-') && w.contains('c'))
                {
                    Some(i) => match words.get(i + 1) {
                        Some(inner) => {
                            let v = classify_line(inner, depth + 1);
                            if v.class < worst.class {
                                worst = v;
                            }
                            continue;
                        }
                        None => ExecClass::Unknown,
                    },
                    None => ExecClass::Unknown,
                }
            }
            p if DELETE.contains(&p) => ExecClass::Delete,
            "find" if words.contains(&"-delete") => ExecClass::Delete,
            "find" if words.contains(&"-exec") => ExecClass::Unknown,
            "sed" if words.iter().any(|w| w.starts_with("-i")) => ExecClass::Write,
            // `tar cf -` (what kubectl cp out of a pod runs) reads; extracting writes.
            "tar" => {
                if words.get(1).is_some_and(|f| f.contains('x')) {
                    ExecClass::Write
                } else {
                    ExecClass::Read
                }
            }
            p if KILL.contains(&p) => ExecClass::Kill,
            p if INSTALL.contains(&p) => ExecClass::Install,
            p if WRITE.contains(&p) => ExecClass::Write,
            p if READ.contains(&p) => ExecClass::Read,
            "psql" | "mysql" | "redis-cli" | "mongo" | "mongosh" | "sqlite3" | "cqlsh" => {
                let text = format!(" {} ", words[1..].join(" ").to_ascii_lowercase());
                if DELETING_WORDS.iter().any(|d| text.contains(d)) {
                    ExecClass::Delete
                } else {
                    ExecClass::Unknown
                }
            }
            _ => ExecClass::Unknown,
        };
        if class < worst.class {
            worst = ExecVerdict {
                class,
                by: Some(format!("`{}`", words.join(" "))),
            };
        }
    }
    // A redirection writes a file (the lexer drops redirections; the line still shows them).
    if worst.class == ExecClass::Read && writes_by_redirection(line) {
        worst = ExecVerdict {
            class: ExecClass::Write,
            by: Some("a `>` redirection".into()),
        };
    }
    worst
}

/// `>` or `>>` outside quotes, not into /dev/null and not `2>&1`.
fn writes_by_redirection(line: &str) -> bool {
    let (mut single, mut double) = (false, false);
    let chars: Vec<char> = line.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '>' if !single && !double => {
                let rest: String = chars[i + 1..].iter().collect();
                let rest = rest.trim_start_matches('>').trim_start();
                if !(rest.starts_with("/dev/null") || rest.starts_with('&')) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(words: &[&str]) -> ExecClass {
        classify(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>()).class
    }

    #[test]
    fn commands_are_classed_by_their_worst_program() {
        assert_eq!(class(&["cat", "/etc/config"]), ExecClass::Read);
        assert_eq!(
            class(&["sh", "-c", "ls /data && env | grep DB"]),
            ExecClass::Read
        );
        assert_eq!(class(&["rm", "-rf", "/data"]), ExecClass::Delete);
        assert_eq!(
            class(&["sh", "-c", "cd /data; rm -rf *"]),
            ExecClass::Delete
        );
        assert_eq!(class(&["find", "/tmp", "-delete"]), ExecClass::Delete);
        assert_eq!(class(&["kill", "1"]), ExecClass::Kill);
        assert_eq!(class(&["apk", "add", "curl"]), ExecClass::Install);
        assert_eq!(
            class(&["sh", "-c", "echo x > /etc/app.conf"]),
            ExecClass::Write
        );
        assert_eq!(
            class(&["sh", "-c", "curl -s http://x 2>&1 >/dev/null"]),
            ExecClass::Read
        );
        assert_eq!(class(&["sed", "-i", "s/a/b/", "/f"]), ExecClass::Write);
        assert_eq!(class(&["python", "fix.py"]), ExecClass::Unknown);
        assert_eq!(class(&["sh", "-c", "nginx -v 2>&1"]), ExecClass::Read);
        assert_eq!(
            class(&[
                "sh",
                "-c",
                "for i in $(seq 1 3); do curl -s http://x/; done | sort | uniq -c"
            ]),
            ExecClass::Read
        );
        assert_eq!(
            class(&["sh", "-c", "for f in /data/*; do rm $f; done"]),
            ExecClass::Delete
        );
        assert_eq!(
            class(&["psql", "-c", "DROP TABLE users"]),
            ExecClass::Delete
        );
        assert_eq!(class(&["redis-cli", "FLUSHALL"]), ExecClass::Delete);
        assert_eq!(class(&["redis-cli", "ping"]), ExecClass::Unknown);
        assert_eq!(
            class(&[
                "/bin/sh",
                "-lc",
                "timeout 2 bash -lc \"</dev/tcp/10.0.0.1/80\" && echo open"
            ]),
            ExecClass::Read
        );
        assert_eq!(
            class(&["sh", "-lc", "sleep 3600 &>/dev/null & echo started"]),
            ExecClass::Read
        );
        assert_eq!(class(&["busybox", "df", "-h"]), ExecClass::Read);
        assert_eq!(class(&["nginx", "-T"]), ExecClass::Read);
        let v = classify(&["sh".into(), "-c".into(), "ls; python x.py".into()]);
        assert_eq!(
            (v.class, v.by.as_deref()),
            (ExecClass::Unknown, Some("`python x.py`"))
        );
    }
}
