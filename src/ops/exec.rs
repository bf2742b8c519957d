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
    "pwd",
    "which",
    "sleep",
    "true",
    "test",
    "ifconfig",
    "getent",
    "uptime",
    "free",
    "wc",
    "sort",
    "uniq",
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
    "traceroute",
    "telnet",
    "base64",
    "md5sum",
    "sha256sum",
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

/// Whether an HTTP client's arguments send a write: a method other than GET or HEAD (`-X`,
/// `--request`, `--method`, also inside a short-flag cluster such as `-skX DELETE`), a body
/// (`-d`, `--data*`, `--json`, `-F`, `--form`, `--post-*`) or an upload (`-T`, `--upload-file`).
pub fn http_writes(words: &[&str]) -> bool {
    let read_method = |m: &str| m.eq_ignore_ascii_case("GET") || m.eq_ignore_ascii_case("HEAD");
    // wget's short flags (`-T` timeout, `-S` headers, `-O` output) send nothing; only its long
    // options write.
    if words
        .first()
        .is_some_and(|p| p.rsplit('/').next() == Some("wget"))
    {
        return words.iter().any(|w| {
            w.starts_with("--post-")
                || w.starts_with("--body-")
                || w.strip_prefix("--method=").is_some_and(|m| !read_method(m))
        });
    }
    words.iter().enumerate().any(|(i, w)| {
        let next = words.get(i + 1).copied().unwrap_or_default();
        if matches!(*w, "--request" | "--method" | "-X") {
            return !read_method(next);
        }
        if let Some(m) = w.strip_prefix("--request=").or(w.strip_prefix("--method=")) {
            return !read_method(m);
        }
        if w.starts_with("--data")
            || w.starts_with("--json")
            || w.starts_with("--form")
            || w.starts_with("--post")
            || w.starts_with("--upload-file")
            || w.starts_with("--body")
        {
            return true;
        }
        // A cluster of short flags: `-d@x`, `-sk`, `-skX DELETE`, `-kXDELETE`.
        if let Some(cluster) = w.strip_prefix('-').filter(|c| !c.starts_with('-')) {
            if let Some(pos) = cluster.find('X') {
                let rest = &cluster[pos + 1..];
                return !read_method(if rest.is_empty() { next } else { rest });
            }
            return cluster.starts_with('d') || cluster.contains(['d', 'F', 'T']);
        }
        false
    })
}

/// Class a command run in a container (its argv as recorded).
pub fn classify(command: &[String]) -> ExecVerdict {
    if command.is_empty() {
        return ExecVerdict {
            class: ExecClass::Unknown,
            by: Some("no command recorded (an interactive session)".into()),
        };
    }
    let line = command
        .iter()
        .map(|w| shell::quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    classify_line(&line, 0)
}

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
            if !shell::WRAPPERS.contains(&base) || words.len() < 2 {
                break;
            }
            // `chroot DIR CMD`: the directory is not the program.
            let skip = if base == "chroot" { 2 } else { 1 };
            words.drain(..skip.min(words.len() - 1));
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
        let writes_web = matches!(program, "curl" | "wget") && http_writes(&words);
        let class = match program {
            _ if probe => ExecClass::Read,
            // A cluster client inside a container changes the cluster, not the container.
            "kubectl" | "oc" | "helm" => {
                worst = ExecVerdict {
                    class: ExecClass::Unknown,
                    by: Some(format!(
                        "`{}` (a cluster client run inside a container)",
                        words.join(" ")
                    )),
                };
                continue;
            }
            "curl" | "wget" if writes_web => ExecClass::Unknown,
            // `wget -O FILE` writes a file (`-O -` and `-qO-` print it).
            "wget"
                if words.windows(2).any(|w| w[0] == "-O" && w[1] != "-")
                    || words.iter().any(|w| w.starts_with("--output-document=")) =>
            {
                ExecClass::Write
            }
            "curl"
                if words.iter().any(|w| {
                    matches!(*w, "-o" | "-O" | "--output" | "--remote-name")
                        && words.iter().all(|x| *x != "/dev/null")
                }) =>
            {
                ExecClass::Write
            }
            "curl" | "wget" => ExecClass::Read,
            "awk" | "gawk" if words.iter().any(|w| w.contains("system(")) => ExecClass::Unknown,
            "awk" | "gawk" | "mawk" => ExecClass::Read,
            "sed"
                if words.iter().any(|w| {
                    w.starts_with("--in-place")
                        || (w.starts_with('-') && !w.starts_with("--") && w.contains('i'))
                }) =>
            {
                ExecClass::Write
            }
            "sed" => ExecClass::Read,
            "ip" if words.iter().any(|w| {
                matches!(
                    *w,
                    "set" | "add" | "del" | "delete" | "flush" | "change" | "replace"
                )
            }) =>
            {
                ExecClass::Write
            }
            "ip" => ExecClass::Read,
            "mount" | "umount" if words.len() > 1 => ExecClass::Write,
            "mount" => ExecClass::Read,
            "find"
                if words
                    .iter()
                    .any(|w| matches!(*w, "-exec" | "-execdir" | "-ok" | "-okdir")) =>
            {
                if words
                    .iter()
                    .any(|w| matches!(*w, "rm" | "shred" | "unlink" | "truncate"))
                {
                    ExecClass::Delete
                } else {
                    ExecClass::Unknown
                }
            }
            "find" if !words.contains(&"-delete") => ExecClass::Read,
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
        // What reads and what writes among the reviewer's cases.
        assert_eq!(class(&["curl", "-s", "http://x/"]), ExecClass::Read);
        assert_eq!(
            class(&["curl", "-X", "POST", "localhost:8080/admin/shutdown"]),
            ExecClass::Unknown
        );
        assert_eq!(
            class(&[
                "curl",
                "-skX",
                "DELETE",
                "https://kubernetes.default.svc/api/v1/x"
            ]),
            ExecClass::Unknown
        );
        assert_eq!(class(&["wget", "-qO-", "http://x"]), ExecClass::Read);
        assert_eq!(
            class(&["wget", "-O", "/usr/share/nginx/html/index.html", "http://x"]),
            ExecClass::Write
        );
        assert_eq!(
            class(&["sh", "-c", "ls /data/*.db | xargs rm -f"]),
            ExecClass::Delete
        );
        assert_eq!(
            class(&["find", "/data", "-execdir", "rm", "{}", "+"]),
            ExecClass::Delete
        );
        assert_eq!(
            class(&["awk", "BEGIN{system(\"rm -rf /data\")}"]),
            ExecClass::Unknown
        );
        assert_eq!(class(&["sed", "-Ei", "s/a/b/", "/f"]), ExecClass::Write);
        assert_eq!(
            class(&["ip", "link", "set", "eth0", "down"]),
            ExecClass::Write
        );
        assert_eq!(class(&["ip", "addr"]), ExecClass::Read);
        assert_eq!(
            class(&["kubectl", "delete", "deploy", "web"]),
            ExecClass::Unknown
        );
        assert_eq!(class(&[]), ExecClass::Unknown);
        assert_eq!(
            class(&["chroot", "/host", "rm", "-rf", "/var/lib/x"]),
            ExecClass::Delete
        );
        assert!(http_writes(&[
            "curl",
            "-kXDELETE",
            "https://10.96.0.1/api/v1/x"
        ]));
        assert!(http_writes(&["curl", "-d@body.json", "http://x"]));
        assert!(!http_writes(&["wget", "-qO-", "-T", "5", "http://x", "-S"]));
        assert!(http_writes(&["wget", "--post-data=a=b", "http://x"]));
        assert!(!http_writes(&[
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "http://x"
        ]));
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
