//! `sim`: serves the Slack simulator, as the `slack-oauth-sim` binary does.

use serde_json::{json, Value};
use slack_oauth_sim::{Seeded, Server, Sim, DEMO_APP_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

use crate::args::SimArgs;
use crate::fail::Failure;
use crate::{output, Outcome};

/// Serves the simulator until the process is stopped. stdout gets one JSON object with the
/// URLs (and what was seeded) as soon as the server listens.
pub fn run(args: SimArgs) -> Outcome {
    let sim = Sim::new();
    let (seeded, demo) = match &args.config {
        Some(path) => {
            let seeded = sim
                .apply_config_file(path)
                .map_err(|e| Failure::Usage(format!("--config: {e}")))?;
            (seeded, None)
        }
        None => {
            sim.register_demo_app();
            // The simulator's fake credentials, printed so a test harness can use them.
            let demo = json!({
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "app_id": DEMO_APP_ID,
            });
            (Seeded::default(), Some(demo))
        }
    };
    let server = Server::start_on(sim, args.port)
        .map_err(|e| Failure::Usage(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;

    let mut out = json!({
        "url": server.url(),
        "base_url": server.base_url(),
        "authorize_url": server.authorize_url(),
        "seeded": without_ok(seeded.to_json()),
    });
    if let (Some(demo), Value::Object(map)) = (demo, &mut out) {
        map.insert("demo_app".into(), demo);
    }
    output::print(&out)?;
    eprintln!(
        "slack-oauth sim: listening on {}; use --base-url {} (stop with Ctrl-C)",
        server.url(),
        server.base_url()
    );
    // The server runs on its own thread; this one only keeps the process (and `server`) alive.
    loop {
        std::thread::park();
    }
}

/// `Seeded::to_json` is the admin endpoint's answer; here it is a plain listing.
fn without_ok(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.remove("ok");
    }
    value
}
