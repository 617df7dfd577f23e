//! Per-message golden verdicts (issue 12): every labelled message has its
//! expected verdict in `<set>/expected/<file>.json` (source, asks_owner,
//! answered, topic phrases, and where the verdict differs from the label,
//! `miss`: the known misses, in the open). A message whose verdict changes
//! fails the test by name and leaves `<file>.failed` beside the expected
//! file with what it got, so one regression is seen, not averaged away.
//! `ALLEARS_BLESS=1` writes the expected files anew; a diff of them in the
//! commit is the change of judgement, message by message.
//!
//! Also here: each platform fixture (`fixtures/platforms/*.eml`) against the
//! verdict written beside it when it was researched.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Env, owner_config, repo};

/// The owner of a set: its labels' `owner`, else the demo owner.
fn config_for(labels: &Value) -> String {
    match labels.get("owner") {
        Some(o) => format!(
            "[owner]\nname = {}\naddresses = {}\n[schedule]\ntimezone = \"UTC\"\n",
            o["name"], o["addresses"]
        ),
        None => owner_config(""),
    }
}

fn messages(env: &Env) -> HashMap<String, Value> {
    env.run(&["messages", "--json"])
        .json_lines()
        .into_iter()
        .map(|m| (m["message_id"].as_str().unwrap_or("").to_string(), m))
        .collect()
}

/// Check (or with ALLEARS_BLESS, write) every message's verdict of one set.
fn check_set(set: &str) {
    let root = repo().join("fixtures").join(set);
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("labels.json")).unwrap()).unwrap();
    let env = Env::with_config(&config_for(&labels)).now("2026-12-01T09:00:00Z");
    env.run(&["import", root.join("mail").to_str().unwrap()])
        .ok();
    let got = messages(&env);
    let expected_dir = root.join("expected");
    std::fs::create_dir_all(&expected_dir).unwrap();
    let bless = std::env::var_os("ALLEARS_BLESS").is_some();
    let mut changed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (id, want) in labels["messages"].as_object().unwrap() {
        let file = want["file"].as_str().unwrap_or(id);
        let stem = Path::new(file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        // One archive file holds several posts: one verdict file each.
        let name = if seen.insert(stem.clone()) {
            stem
        } else {
            format!("{stem}#{id}")
        };
        let name = name.replace(['/', '<', '>'], "_");
        let verdict = match got.get(id.as_str()) {
            None => json!({ "missing": true }),
            Some(m) => verdict(m, want),
        };
        let path = expected_dir.join(format!("{name}.json"));
        let failed = expected_dir.join(format!("{name}.failed"));
        let text = serde_json::to_string_pretty(&verdict).unwrap() + "\n";
        if bless {
            std::fs::write(&path, &text).unwrap();
            let _ = std::fs::remove_file(&failed);
            continue;
        }
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        if before != text {
            std::fs::write(&failed, &text).unwrap();
            changed.push(format!("{set}/{name}"));
        } else {
            let _ = std::fs::remove_file(&failed);
        }
    }
    assert!(
        changed.is_empty(),
        "{} verdict(s) changed (got: the .failed file beside each; ALLEARS_BLESS=1 accepts): {}",
        changed.len(),
        changed.join(", ")
    );
}

/// What the golden file keeps of a message's verdict, with the label's
/// disagreements named.
fn verdict(m: &Value, want: &Value) -> Value {
    let topics: Vec<&str> = m["topics"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut miss = Vec::new();
    for key in ["source", "asks_owner", "answered"] {
        if want.get(key).is_some() && want[key] != m[key] {
            miss.push(format!("{key}: labelled {}", want[key]));
        }
    }
    let labelled_topics = want["topics"].as_array().map_or(0, Vec::len);
    if labelled_topics != topics.len() {
        miss.push(format!("topics: labelled {labelled_topics}"));
    }
    let mut v = json!({
        "source": m["source"],
        "asks_owner": m["asks_owner"],
        "answered": m["answered"],
        "topics": topics,
    });
    if !miss.is_empty() {
        v["miss"] = json!(miss);
    }
    v
}

#[test]
fn every_message_of_the_eval_set_keeps_its_verdict() {
    check_set("eval");
}

#[test]
fn every_message_of_the_old_blind_set_keeps_its_verdict() {
    check_set("eval-blind");
}

#[test]
fn every_message_of_blind_set_a_keeps_its_verdict() {
    check_set("blind-a");
}

#[test]
fn every_message_of_blind_set_b_keeps_its_verdict() {
    check_set("blind-b");
}

#[test]
fn every_message_of_blind_set_c_keeps_its_verdict() {
    check_set("blind-c");
}

#[test]
fn every_message_of_blind_set_d_keeps_its_verdict() {
    check_set("blind-d");
}

#[test]
fn every_message_of_blind_set_e_keeps_its_verdict() {
    check_set("blind-e");
}

/// Each platform fixture is judged as its research note says: source,
/// asks, the commenter, the post, held for moderation.
#[test]
fn every_platform_fixture_is_judged_as_researched() {
    let dir = repo().join("fixtures/platforms");
    let mut wrong = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{} platform fixtures", files.len());
    for eml in &files {
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(eml.with_extension("json")).unwrap())
                .unwrap();
        let env = Env::new();
        env.run(&["import", eml.to_str().unwrap()]).ok();
        let got = env.run(&["messages", "--json"]).json_lines();
        let name = eml.file_name().unwrap().to_string_lossy().to_string();
        let Some(m) = got.first() else {
            wrong.push(format!("{name}: not imported"));
            continue;
        };
        let ctx = &m["context"];
        let mut errs = Vec::new();
        if m["source"] != want["source"] {
            errs.push(format!("source {} (want {})", m["source"], want["source"]));
        }
        if m["asks_owner"] != want["asks_owner"] {
            errs.push(format!(
                "asks {} (want {})",
                m["asks_owner"], want["asks_owner"]
            ));
        }
        let commented = matches!(want["source"].as_str(), Some("comment" | "pingback"));
        if commented
            && want["author_name"].is_string()
            && ctx["author"]["name"] != want["author_name"]
        {
            errs.push(format!(
                "author {} (want {})",
                ctx["author"]["name"], want["author_name"]
            ));
        }
        if want["post_title"].is_string() && ctx["post_title"] != want["post_title"] {
            errs.push(format!(
                "post {} (want {})",
                ctx["post_title"], want["post_title"]
            ));
        }
        if want["held"] == true && want["source"] == "comment" && ctx["held"] != true {
            errs.push("not held for moderation".to_string());
        }
        if !errs.is_empty() {
            wrong.push(format!("{name}: {}", errs.join("; ")));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_message_of_blind_set_f_keeps_its_verdict() {
    check_set("blind-f");
}

#[test]
fn every_message_of_blind_set_g_keeps_its_verdict() {
    check_set("blind-g");
}

#[test]
fn every_message_of_blind_set_h_keeps_its_verdict() {
    check_set("blind-h");
}

#[test]
fn every_message_of_blind_set_i_keeps_its_verdict() {
    check_set("blind-i");
}

#[test]
fn every_message_of_blind_set_j_keeps_its_verdict() {
    check_set("blind-j");
}

#[test]
fn every_message_of_blind_set_m_keeps_its_verdict() {
    check_set("blind-m");
}

#[test]
fn every_message_of_blind_set_n_keeps_its_verdict() {
    check_set("blind-n");
}

#[test]
fn every_message_of_blind_set_p_keeps_its_verdict() {
    check_set("blind-p");
}

#[test]
fn every_message_of_blind_set_q_keeps_its_verdict() {
    check_set("blind-q");
}

#[test]
fn every_message_of_blind_set_r_keeps_its_verdict() {
    check_set("blind-r");
}

#[test]
fn every_message_of_blind_set_s_keeps_its_verdict() {
    check_set("blind-s");
}

#[test]
fn every_message_of_blind_set_t_keeps_its_verdict() {
    check_set("blind-t");
}

#[test]
fn every_message_of_blind_set_u_keeps_its_verdict() {
    check_set("blind-u");
}

#[test]
fn every_message_of_blind_set_v_keeps_its_verdict() {
    check_set("blind-v");
}

#[test]
fn every_message_of_blind_set_w_keeps_its_verdict() {
    check_set("blind-w");
}

#[test]
fn every_message_of_blind_set_x_keeps_its_verdict() {
    check_set("blind-x");
}

#[test]
fn every_message_of_blind_set_y_keeps_its_verdict() {
    check_set("blind-y");
}

#[test]
fn every_message_of_blind_set_z_keeps_its_verdict() {
    check_set("blind-z");
}

#[test]
fn every_message_of_blind_set_z2_keeps_its_verdict() {
    check_set("blind-z2");
}

#[test]
fn every_message_of_blind_set_aa_keeps_its_verdict() {
    check_set("blind-aa");
}

#[test]
fn every_message_of_blind_set_ab_keeps_its_verdict() {
    check_set("blind-ab");
}

#[test]
fn every_message_of_blind_set_ac_keeps_its_verdict() {
    check_set("blind-ac");
}

#[test]
fn every_message_of_blind_set_ad_keeps_its_verdict() {
    check_set("blind-ad");
}

#[test]
fn every_message_of_blind_set_ae_keeps_its_verdict() {
    check_set("blind-ae");
}

#[test]
fn every_message_of_blind_set_af_keeps_its_verdict() {
    check_set("blind-af");
}

#[test]
fn every_message_of_blind_set_ag_keeps_its_verdict() {
    check_set("blind-ag");
}

#[test]
fn every_message_of_blind_set_ah_keeps_its_verdict() {
    check_set("blind-ah");
}

#[test]
fn every_message_of_blind_set_ai_keeps_its_verdict() {
    check_set("blind-ai");
}

#[test]
fn every_message_of_blind_set_aj_keeps_its_verdict() {
    check_set("blind-aj");
}

#[test]
fn every_message_of_blind_set_ak_keeps_its_verdict() {
    check_set("blind-ak");
}

#[test]
fn every_message_of_blind_set_al_keeps_its_verdict() {
    check_set("blind-al");
}

#[test]
fn every_message_of_blind_set_am_keeps_its_verdict() {
    check_set("blind-am");
}

#[test]
fn every_message_of_blind_set_an_keeps_its_verdict() {
    check_set("blind-an");
}

#[test]
fn every_message_of_blind_set_ao_keeps_its_verdict() {
    check_set("blind-ao");
}

#[test]
fn every_message_of_blind_set_ap_keeps_its_verdict() {
    check_set("blind-ap");
}

#[test]
fn every_message_of_blind_set_aq_keeps_its_verdict() {
    check_set("blind-aq");
}

#[test]
fn every_message_of_blind_set_ar_keeps_its_verdict() {
    check_set("blind-ar");
}

#[test]
fn every_message_of_blind_set_as_keeps_its_verdict() {
    check_set("blind-as");
}

#[test]
fn every_message_of_blind_set_at_keeps_its_verdict() {
    check_set("blind-at");
}

#[test]
fn every_message_of_blind_set_au_keeps_its_verdict() {
    check_set("blind-au");
}

#[test]
fn every_message_of_blind_set_av_keeps_its_verdict() {
    check_set("blind-av");
}

#[test]
fn every_message_of_blind_set_aw_keeps_its_verdict() {
    check_set("blind-aw");
}

#[test]
fn every_message_of_blind_set_ax_keeps_its_verdict() {
    check_set("blind-ax");
}

#[test]
fn every_message_of_blind_set_ay_keeps_its_verdict() {
    check_set("blind-ay");
}

#[test]
fn every_message_of_blind_set_az_keeps_its_verdict() {
    check_set("blind-az");
}

#[test]
fn every_message_of_blind_set_ba_keeps_its_verdict() {
    check_set("blind-ba");
}

#[test]
fn every_message_of_blind_set_bb_keeps_its_verdict() {
    check_set("blind-bb");
}

#[test]
fn every_message_of_blind_set_bc_keeps_its_verdict() {
    check_set("blind-bc");
}

#[test]
fn every_message_of_blind_set_be_keeps_its_verdict() {
    check_set("blind-be");
}

#[test]
fn every_message_of_blind_set_bf_keeps_its_verdict() {
    check_set("blind-bf");
}

#[test]
fn every_message_of_blind_set_bg_keeps_its_verdict() {
    check_set("blind-bg");
}

#[test]
fn every_message_of_blind_set_bh_keeps_its_verdict() {
    check_set("blind-bh");
}
