//! `use`: a program made of several files, through the real binary. Paths are read from the
//! folder of the file that names them, every file is read once however often it is named, and
//! a file that cannot be read is an error at the `use` that names it.

#[path = "common/binary.rs"]
mod binary;

use std::path::Path;

use binary::{scratch, text, weir};

const APPS: &str =
    "app Calendar {\n  event { title: text }\n}\n\napp Outlook {\n  event { subject: text }\n}\n";

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

#[test]
fn a_path_is_read_from_the_folder_of_the_file_that_names_it() {
    let dir = scratch("use-folder");
    write(&dir, "project/apps.weir", APPS);
    write(
        &dir,
        "project/flows/copy.weir",
        "use \"../apps.weir\"\n\non new event in Calendar do create event in Outlook { subject: title }\n",
    );
    // Started from the scratch folder, not from the project: the path still resolves.
    let out = weir(&["check", "project/flows/copy.weir"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("checked 1 workflow in 2 apps: no problems"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn files_that_use_each_other_are_each_read_once() {
    let dir = scratch("use-cycle");
    // a uses b and c; b and c both use apps, and b uses a back.
    write(&dir, "apps.weir", APPS);
    write(
        &dir,
        "a.weir",
        "use \"b.weir\"\nuse \"c.weir\"\nuse \"./apps.weir\"\n",
    );
    write(
        &dir,
        "b.weir",
        "use \"apps.weir\"\nuse \"a.weir\"\n\nworkflow to_outlook {\n  on new event in Calendar\n  create event in Outlook { subject: title }\n}\n",
    );
    write(&dir, "c.weir", "use \"sub/../apps.weir\"\n");
    let out = weir(&["check", "a.weir"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("declared"), "{stderr}");
}

#[test]
fn a_loop_between_workflows_in_two_files_is_found() {
    let dir = scratch("use-loop");
    write(&dir, "apps.weir", APPS);
    write(
        &dir,
        "there.weir",
        "use \"apps.weir\"\n\non new event in Calendar do create event in Outlook { subject: title }\n",
    );
    write(
        &dir,
        "back.weir",
        "use \"apps.weir\"\nuse \"there.weir\"\n\non new event in Outlook do create event in Calendar { title: subject }\n",
    );
    let out = weir(&["check", "back.weir"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[E0301]"), "{stderr}");
    // The story points into both files.
    assert!(stderr.contains("there.weir:3"), "{stderr}");
    assert!(stderr.contains("back.weir:4"), "{stderr}");
}

#[test]
fn a_missing_file_is_an_error_at_its_use_and_creating_it_fixes_it() {
    let dir = scratch("use-missing");
    write(
        &dir,
        "flows/copy.weir",
        "use \"apps.weir\"\n\non new event in Calendar do create event in Outlook { subject: title }\n",
    );
    let out = weir(&["check", "flows/copy.weir"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E0005]: cannot use `apps.weir`: there is no file `flows/apps.weir`"),
        "{stderr}"
    );
    assert!(stderr.contains("flows/copy.weir:1:5"), "{stderr}");
    assert!(
        stderr.contains("read from the folder of the file that names it"),
        "{stderr}"
    );
    // The fix the help gives: create the file where the path points.
    write(&dir, "flows/apps.weir", APPS);
    let out = weir(&["check", "flows/copy.weir"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_connector_is_an_error_that_says_how_to_read_a_file() {
    let dir = scratch("use-connector");
    write(&dir, "main.weir", "use acme_crm\n");
    let out = weir(&["check", "main.weir"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E0005]: weir ships no connector named `acme_crm`"),
        "{stderr}"
    );
    assert!(stderr.contains("use \"acme_crm.weir\""), "{stderr}");
    // The fix: a file of one's own, quoted.
    write(&dir, "acme_crm.weir", APPS);
    write(&dir, "main.weir", "use \"acme_crm.weir\"\n");
    let out = weir(&["check", "main.weir"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn scenarios_run_over_apps_from_another_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = weir(&["test", "examples/clinic_project/front_desk.weir"], root);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
}

#[test]
fn fmt_keeps_uses_as_they_are_written() {
    let dir = scratch("use-fmt");
    let script = "use \"apps.weir\"\nuse github\n\non new event in Calendar do create event in Outlook { subject: title }\n";
    write(&dir, "main.weir", script);
    let out = weir(&["fmt", "--check", "main.weir"], &dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    write(&dir, "messy.weir", "use   \"apps.weir\"\nuse    github\n");
    let out = weir(&["fmt", "messy.weir"], &dir);
    assert_eq!(text(&out.stdout), "use \"apps.weir\"\nuse github\n");
}
