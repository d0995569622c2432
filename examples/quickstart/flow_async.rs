//! The quickstart with the async transport (`slack_oauth::hyper`, on Tokio): the same steps
//! as `flow.rs`, awaited.

use std::sync::Arc;

use slack_oauth::apps_auth_external::{Delete, Get};
use slack_oauth::hyper::{Client, Keeper};
use slack_oauth::oauth_v2::Exchange;
use slack_oauth::{ConfigTokens, Installation, MemoryStore, TokenType};
use slack_oauth_sim::{ExternalTokenSeed, TokenStatus};
use slack_oauth_store::AsyncSqliteStore;

use crate::common::{self, mask, Printer, Report, Result};

/// Runs the whole flow against a fresh simulator, handing each output line to `out`. Must
/// run inside a multi-thread Tokio runtime.
pub async fn run(out: &mut dyn FnMut(&str)) -> Result<Report> {
    let mut p = Printer::new(out);
    let mut report = Report::default();
    p.line("slack-oauth quickstart: install a Slack app and keep its tokens alive, against a");
    p.line("simulated Slack on 127.0.0.1 (async transport: slack_oauth::hyper on Tokio).");
    p.line("Secrets are shown as a prefix and a SHA-256 fingerprint, never their value.");
    p.line("");

    // 1–5: simulator, app, authorize URL, approval, callback (common.rs: no transport yet).
    // The server lives as long as this binding: to the end of the flow.
    let common::Authorized {
        sim,
        server: _server,
        api,
        exchange,
    } = common::authorize(&mut p, &mut report)?;
    let client = Client::new(api);

    // 6. Exchange the code (with the PKCE verifier) for the installation's tokens.
    let installation = Installation::from_access(client.call(&exchange).await?.value, sim.now())?;
    // The installation lives in a SQLite file (created 0600) that other processes or
    // connections can share; the folder is removed at the end.
    let folder = common::TempFolder::new()?;
    let store = AsyncSqliteStore::open(folder.store()).await?;
    let clock = sim.clone();
    let keeper = Keeper::new(client.clone(), store).with_clock(move || clock.now());
    let key = keeper.install(&installation).await?;
    p.step(
        "Exchange",
        &format!(
            "oauth.v2.access: installed in {} ({}), stored under key {key}",
            installation.team_id.as_deref().unwrap_or("?"),
            installation.team_name.as_deref().unwrap_or("?"),
        ),
    );
    p.more(&format!(
        "store: SQLite file installations.db in a temporary folder ({})",
        common::mode(&folder.store())
    ));
    for token_type in [TokenType::Bot, TokenType::User] {
        let Some(set) = installation.token(token_type) else {
            return Err(format!("the install gave no {token_type} token").into());
        };
        report.secret(set.token.expose());
        if let Some(refresh) = &set.refresh_token {
            report.secret(refresh.expose());
        }
        p.more(&format!(
            "{token_type:<4} token {}, expires in {}, scopes {}",
            mask(set.token.expose()),
            common::duration(set.expires_at.unwrap_or(0).saturating_sub(sim.now())),
            set.scopes.join(",")
        ));
    }

    // 7. Keep it alive: past expiry, concurrent callers share one refresh.
    let old = keeper.bot_token(&key).await?;
    p.step(
        "Keep alive",
        &format!(
            "keeper: the bot token is fresh, used as is ({})",
            mask(old.expose())
        ),
    );
    let expires_in = installation
        .token(TokenType::Bot)
        .and_then(|set| set.expires_at)
        .unwrap_or(0)
        .saturating_sub(sim.now());
    sim.advance(expires_in + 1);
    p.more(&format!(
        "clock advanced {}: the bot token has expired (Slack: {})",
        common::duration(expires_in + 1),
        common::status(sim.token_status(old.expose()))
    ));
    let refresh_calls = || {
        sim.calls_with("oauth.v2.access", |a| {
            a.get("grant_type") == Some("refresh_token")
        })
    };
    let before = refresh_calls();
    report.callers = 8;
    let tasks: Vec<_> = (0..report.callers)
        .map(|_| {
            let (keeper, key) = (keeper.clone(), key.clone());
            tokio::spawn(async move { keeper.bot_token(&key).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await??);
    }
    let new = tokens[0].clone();
    if tokens.iter().any(|t| *t != new) || sim.token_status(new.expose()) != TokenStatus::Active {
        return Err("the callers did not all get the same live token".into());
    }
    report.refreshes = refresh_calls() - before;
    report.secret(new.expose());
    p.more(&format!(
        "keeper: {} tasks asked at once; {} refresh sent; all got {}",
        report.callers,
        report.refreshes,
        mask(new.expose())
    ));
    // A second keeper on a connection of its own (as another process would have) sees the
    // refreshed token in the file: no refresh of its own.
    let second = Keeper::new(
        client.clone(),
        AsyncSqliteStore::open(folder.store()).await?,
    )
    .with_clock({
        let sim = sim.clone();
        move || sim.now()
    });
    let shared = second.bot_token(&key).await?;
    if shared != new || refresh_calls() - before != report.refreshes {
        return Err("the second keeper did not share the stored token".into());
    }
    p.more(&format!(
        "keeper 2, on its own connection to the file: {}, no refresh of its own",
        mask(shared.expose())
    ));
    let user = keeper.user_token(&key).await?;
    report.secret(user.expose());
    let stored = keeper.load(&key).await?;
    for set in [&stored.bot, &stored.user].into_iter().flatten() {
        if let Some(refresh) = &set.refresh_token {
            report.secret(refresh.expose());
        }
    }
    p.more(&format!(
        "keeper: the user token rotated on its own chain: {}",
        mask(user.expose())
    ));

    // 8. An app configuration token (from the app settings page) rotated before use.
    let (config, config_refresh) = sim.seed_config_token("T0SIM", "U0SIMUSER");
    report.secret(&config);
    report.secret(&config_refresh);
    let config_keeper = Keeper::new(client.clone(), Arc::new(MemoryStore::new())).with_clock({
        let sim = sim.clone();
        move || sim.now()
    });
    config_keeper
        .save(
            "config",
            &ConfigTokens::new(config.as_str(), config_refresh.as_str()),
        )
        .await?;
    let rotated = config_keeper.config_token("config").await?;
    report.secret(rotated.expose());
    let kept = config_keeper.load("config").await?;
    report.secret(kept.refresh_token.expose());
    report.config_rotations = sim.calls("tooling.tokens.rotate");
    p.step(
        "Config token",
        &format!(
            "tooling.tokens.rotate: {} → {}, expires in {}",
            mask(&config),
            mask(rotated.expose()),
            common::duration(kept.exp.saturating_sub(sim.now()))
        ),
    );

    // 9. A token Slack keeps for a third-party provider: read it, then delete it.
    let app_id = installation.app_id.clone().unwrap_or_default();
    let external_id = sim.seed_external_token(ExternalTokenSeed {
        app_id: app_id.clone(),
        provider_key: "google".into(),
        has_refresh_token: true,
        ..Default::default()
    });
    let workflow = sim.seed_workflow_token();
    report.secret(&workflow);
    p.step(
        "External",
        &format!("Slack stores a google token for app {app_id} as {external_id} (seeded: a user connected their account)"),
    );
    let got = client
        .call(&Get::new(workflow.as_str(), external_id.as_str()))
        .await?;
    report.secret(got.value.external_token.expose());
    p.more(&format!(
        "apps.auth.external.get with workflow token {}: {}",
        mask(&workflow),
        mask(got.value.external_token.expose())
    ));
    client
        .call(&Delete::new(workflow.as_str()).external_token_id(external_id.as_str()))
        .await?;
    let after = client
        .call(&Get::new(workflow.as_str(), external_id.as_str()))
        .await;
    let answer = match &after {
        Ok(_) => return Err("the external token is still there after the delete".into()),
        Err(e) => e
            .slack()
            .and_then(|s| s.code())
            .map_or_else(|| e.to_string(), |c| c.as_str().to_owned()),
    };
    report.external_deleted = true;
    p.more(&format!(
        "apps.auth.external.delete: deleted; a second get answers `{answer}`"
    ));

    // 10. Migrate a long-lived token to rotation.
    let legacy = sim.seed_legacy_token(common::CLIENT_ID, "bot");
    report.secret(&legacy);
    let migrated = Installation::from_exchange(
        client.call(&Exchange::new(legacy.as_str())).await?.value,
        sim.now(),
    )?;
    let Some(bot) = migrated.token(TokenType::Bot) else {
        return Err("the exchange gave no bot token".into());
    };
    report.secret(bot.token.expose());
    if let Some(refresh) = &bot.refresh_token {
        report.secret(refresh.expose());
    }
    report.exchanged = bot.refresh_token.is_some();
    p.step(
        "Legacy",
        &format!(
            "oauth.v2.exchange: {} → {}, expires in {}, refresh token kept",
            mask(&legacy),
            mask(bot.token.expose()),
            common::duration(bot.expires_at.unwrap_or(0).saturating_sub(sim.now()))
        ),
    );

    report.steps = p.steps();
    p.line("");
    p.line(&format!(
        "Done: {} steps. Calls that reached Slack: {}.",
        report.steps,
        common::calls(&sim)
    ));
    Ok(report)
}
