//! A transport of your own is one impl of core's `HttpClient`: here over bare ureq (any
//! client that takes and returns `http` types will do). Core's keeper does the rest, against
//! the simulator on 127.0.0.1. Run it with `cargo run --example custom_transport`.

use std::time::{Duration, SystemTime};

use slack_oauth::transport::{Error, HttpClient};
use slack_oauth::{authorize::State, Callback, Installation, MemoryStore};
use slack_oauth::{keeper::Keeper, oauth_v2::Access, unix_seconds, Api, ClientCredentials};
use slack_oauth_sim::{AppConfig, Server, Sim};

/// Moves core's requests and nothing more: core builds them and reads the answers.
struct Bare(Api, ureq::Agent);

impl HttpClient for Bare {
    fn api(&self) -> &Api {
        &self.0
    }

    fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, Error> {
        let failed = |e: ureq::Error| Error::Io(std::io::Error::other(e)); // never the request
        let (head, mut body) = self.1.run(request).map_err(failed)?.into_parts();
        let read = body.with_config().limit(1 << 20).read_to_vec(); // a cap on the body
        Ok(http::Response::from_parts(head, read.map_err(failed)?))
    }

    fn now(&self) -> u64 {
        unix_seconds(SystemTime::now())
    }

    fn sleep(&self, pause: Duration) {
        std::thread::sleep(pause); // a keeper waiting for another's lease
    }
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = Sim::new();
    let app = AppConfig::new("111.222", "app-secret").redirect_uri("http://127.0.0.1/cb");
    sim.register_app(app.token_rotation(true).bot_scopes("chat:write"));
    let server = Server::start(sim.clone())?;
    let api = Api::new().with_base_url(&server.base_url())?;
    let api = api.with_credentials(ClientCredentials::new("111.222", "app-secret"));
    // Every status is data for core; a redirect is handed back, never followed.
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0);
    let agent = config.timeout_global(Some(Duration::from_secs(30))).build();
    let client = Bare(api, agent.into());
    let url = "https://slack.com/oauth/v2/authorize?client_id=111.222&scope=chat:write&state=s";
    let approved = sim.approve(url)?; // the user's click brings a code back
    let code = Callback::parse(&approved)?.verify_state(&State::new("s")?)?;
    let answer = client.call(&Access::code(code))?.value;
    let (clock, store) = (sim.clone(), MemoryStore::<Installation>::new());
    let keeper = Keeper::new(client, store).with_clock(move || clock.now());
    let key = keeper.install(&Installation::from_access(answer, sim.now())?)?;
    let first = keeper.bot_token(&key)?;
    sim.advance(11 * 3600); // within the refresh margin: due, refreshed once
    let (second, third) = (keeper.bot_token(&key)?, keeper.bot_token(&key)?); // 3rd: cached
    if first == second || second != third {
        return Err("the token was not refreshed exactly once".into());
    }
    println!("refreshed once, then served from the cache");
    Ok(())
}
