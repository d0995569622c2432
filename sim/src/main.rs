//! `slack-oauth-sim`: the Slack simulator as a program, for test suites in any language.

use std::process::ExitCode;

use slack_oauth_sim::{Clock, Seeded, Server, Sim, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

const USAGE: &str = "\
slack-oauth-sim: a Slack Web API simulator on 127.0.0.1 for tests

USAGE:
    slack-oauth-sim [--port PORT] [--config FILE] [--clock wall|simulated]

OPTIONS:
    --port PORT      port on 127.0.0.1 (default 0: any free port; the chosen one is printed)
    --config FILE    JSON file of apps, tokens and faults to load (see the README);
                     without it, one demo app is registered (client id 111.222, secret app-secret)
    --clock MODE     simulated (default: stands at 1700000000 until /_sim/advance) or wall
                     (the system clock; /_sim/advance adds an offset)
    -h, --help       print this help
    -V, --version    print the version
";

struct Options {
    port: u16,
    config: Option<String>,
    clock: Option<Clock>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 0,
        config: None,
        clock: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("slack-oauth-sim {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "--port" => {
                let value = inline
                    .or_else(|| args.next())
                    .ok_or("--port needs a value")?;
                options.port = value
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {value}"))?;
            }
            "--config" => {
                options.config = Some(
                    inline
                        .or_else(|| args.next())
                        .ok_or("--config needs a file")?,
                );
            }
            "--clock" => {
                let value = inline
                    .or_else(|| args.next())
                    .ok_or("--clock needs wall or simulated")?;
                options.clock = Some(value.parse().map_err(|e| format!("--clock: {e}"))?);
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("slack-oauth-sim: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let sim = Sim::new();
    let mut demo = false;
    let seeded = match &options.config {
        Some(path) => match sim.apply_config_file(std::path::Path::new(path)) {
            Ok(seeded) => seeded,
            Err(err) => {
                eprintln!("slack-oauth-sim: {err}");
                return ExitCode::from(2);
            }
        },
        None => {
            sim.register_demo_app();
            demo = true;
            Seeded::default()
        }
    };
    // The flag wins over the config file's "clock".
    if let Some(clock) = options.clock {
        sim.set_clock(clock);
    }

    let server = match Server::start_on(sim, options.port) {
        Ok(server) => server,
        Err(err) => {
            eprintln!(
                "slack-oauth-sim: cannot listen on 127.0.0.1:{}: {err}",
                options.port
            );
            return ExitCode::from(1);
        }
    };
    // The values printed are the simulator's own fakes (or the config file's), for the
    // test harness that started it. Harnesses read the port from the first line: it stays
    // first.
    println!("slack-oauth-sim listening on {}", server.url());
    if demo {
        println!(
            "no --config: registered demo app client_id={DEMO_CLIENT_ID} client_secret={DEMO_CLIENT_SECRET}"
        );
    }
    println!("api base url: {}", server.base_url());
    println!("authorize url: {}", server.authorize_url());
    println!("seeded: {}", seeded.to_json());
    use std::io::Write as _;
    let _ = std::io::stdout().flush();

    // Serve until the process is stopped (Ctrl-C / SIGTERM end it).
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn flags() {
        let o = parse_args(args(&["--port", "8080", "--config", "a.json"]))
            .unwrap()
            .unwrap();
        assert_eq!(o.port, 8080);
        assert_eq!(o.config.as_deref(), Some("a.json"));
        let o = parse_args(args(&["--port=9"])).unwrap().unwrap();
        assert_eq!(o.port, 9);
        assert!(parse_args(args(&["--port"])).is_err());
        assert!(parse_args(args(&["--port", "x"])).is_err());
        assert!(parse_args(args(&["--nope"])).is_err());
        let o = parse_args(args(&["--clock", "wall"])).unwrap().unwrap();
        assert_eq!(o.clock, Some(Clock::Wall));
        assert!(parse_args(args(&["--clock=sundial"])).is_err());
    }
}
