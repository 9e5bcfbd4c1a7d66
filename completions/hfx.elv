
use builtin;
use str;

set edit:completion:arg-completer[hfx] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'hfx'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'hfx'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Log in to the Hub with an access token and store it like huggingface_hub does'
            cand logout 'Remove the active token, or one stored token with `--token-name`'
            cand whoami 'Show the logged-in user and organizations'
            cand auth 'Manage stored tokens (list, switch)'
            cand search 'Search models, datasets or spaces on the Hub'
            cand download 'Download a repository snapshot or files into the shared cache and print the path'
            cand upload 'Upload files or folders to a Hub repository'
            cand repo 'Create and manage Hub repositories'
            cand cache 'Inspect and clean the local cache'
            cand dataset 'Fetch, inspect and preview datasets'
            cand tokenize 'Tokenize text with a model''s tokenizer'
            cand run 'Run a model locally on a prompt'
            cand convert 'Export a model to safetensors or GGUF (quantized, LoRA merged), or an adapter to a LoRA GGUF'
            cand bench 'Measure prompt processing and generation speed (llama-bench style)'
            cand finetune 'Fine-tune a model with LoRA'
            cand serve 'Serve a model over an OpenAI- and TGI-compatible HTTP API'
            cand env 'Print the resolved settings: endpoint, cache and token paths, features, devices'
            cand completions 'Print a shell completion script'
            cand man 'Write man pages (one per subcommand) into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;login'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --force 'Replace the active token even if already logged in'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;logout'= {
            cand --token-name 'Remove only this stored token (default: the active token and every stored token)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;whoami'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;auth'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List stored tokens (masked); `*` marks the active one'
            cand ls 'List stored tokens (masked); `*` marks the active one'
            cand switch 'Make a stored token the active one'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;auth;list'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;auth;ls'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;auth;switch'= {
            cand --token-name 'Name of the stored token (prompted for on a terminal when omitted)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;auth;help'= {
            cand list 'List stored tokens (masked); `*` marks the active one'
            cand switch 'Make a stored token the active one'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;auth;help;list'= {
        }
        &'hfx;auth;help;switch'= {
        }
        &'hfx;auth;help;help'= {
        }
        &'hfx;search'= {
            cand --type 'What to search'
            cand --author 'Only repositories of this user or organization'
            cand --filter 'Tag filter (repeatable; all must match), e.g. `gguf`, `license:apache-2.0`'
            cand --sort 'Sort key (descending)'
            cand --limit 'Maximum number of results (pages are followed until reached)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;download'= {
            cand --repo-type 'Repository type (default: model, or as given by an `hf://` prefix)'
            cand --revision 'Branch, tag or commit (default: main)'
            cand --include 'Only files matching this glob (repeatable; `dir/` means the whole folder)'
            cand --exclude 'Skip files matching this glob (repeatable)'
            cand --local-dir 'Write real files into this directory instead of the shared cache'
            cand --max-workers 'Files downloaded at the same time'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --force 'Download again even if the files are cached'
            cand --dry-run 'Show what would be downloaded without downloading'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;upload'= {
            cand --type 'Repository type'
            cand --revision 'Branch to commit to (default: main)'
            cand --include 'Only files matching this glob (repeatable)'
            cand --exclude 'Skip files matching this glob (repeatable)'
            cand --delete 'Delete remote files matching this glob in the same commit (repeatable)'
            cand --commit-message 'Commit message'
            cand --commit-description 'Commit description'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --private 'Create the repository as private if it does not exist'
            cand --create-pr 'Open a pull request instead of committing to the branch'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;repo'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand info 'Commit, files with sizes and LFS ids of a revision'
            cand ls 'List files and folders (a tree listing)'
            cand create 'Create a repository'
            cand delete 'Delete a repository'
            cand branch 'Create or delete a branch'
            cand tag 'Create, delete or list tags'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;repo;info'= {
            cand --type 'Repository type (default: model, or as given by an `hf://` prefix)'
            cand --revision 'Branch, tag or commit (default: main)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;repo;ls'= {
            cand --type 'Repository type (default: model, or as given by an `hf://` prefix)'
            cand --revision 'Branch, tag or commit (default: main)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand -R 'List every file below, not just direct children'
            cand --recursive 'List every file below, not just direct children'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;repo;create'= {
            cand --type 'Repository type (default: model, or as given by an `hf://` prefix)'
            cand --space-sdk 'SDK of a new Space (gradio, streamlit, docker, static)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --private 'Create it private'
            cand --exist-ok 'Succeed if it already exists'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;repo;delete'= {
            cand --type 'Repository type (default: model, or as given by an `hf://` prefix)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;repo;branch'= {
            cand --type 'Repository type (default: model, or as given by an `hf://` prefix)'
            cand --revision 'Where a new branch or tag points (default: main)'
            cand -m 'Tag message'
            cand --message 'Tag message'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;repo;tag'= {
            cand --type 'Repository type (default: model, or as given by an `hf://` prefix)'
            cand --revision 'Where a new branch or tag points (default: main)'
            cand -m 'Tag message'
            cand --message 'Tag message'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;repo;help'= {
            cand info 'Commit, files with sizes and LFS ids of a revision'
            cand ls 'List files and folders (a tree listing)'
            cand create 'Create a repository'
            cand delete 'Delete a repository'
            cand branch 'Create or delete a branch'
            cand tag 'Create, delete or list tags'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;repo;help;info'= {
        }
        &'hfx;repo;help;ls'= {
        }
        &'hfx;repo;help;create'= {
        }
        &'hfx;repo;help;delete'= {
        }
        &'hfx;repo;help;branch'= {
        }
        &'hfx;repo;help;tag'= {
        }
        &'hfx;repo;help;help'= {
        }
        &'hfx;cache'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand ls 'List cached repositories with sizes, refs and last access'
            cand list 'List cached repositories with sizes, refs and last access'
            cand rm 'Delete repositories or revisions from the cache'
            cand prune 'Delete detached revisions, orphan partial downloads and unreferenced blobs'
            cand verify 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;cache;ls'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --revisions 'One row per revision instead of per repository'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;cache;list'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --revisions 'One row per revision instead of per repository'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;cache;rm'= {
            cand --repo-type 'Repository type for plain `org/name` targets'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --dry-run 'Show what would be deleted and how much space it frees'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;cache;prune'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --dry-run 'Show what would be deleted'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;cache;verify'= {
            cand --repo-type 'Repository type'
            cand --revision 'Only this revision (branch, tag or commit); default: every cached revision'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;cache;help'= {
            cand ls 'List cached repositories with sizes, refs and last access'
            cand rm 'Delete repositories or revisions from the cache'
            cand prune 'Delete detached revisions, orphan partial downloads and unreferenced blobs'
            cand verify 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;cache;help;ls'= {
        }
        &'hfx;cache;help;rm'= {
        }
        &'hfx;cache;help;prune'= {
        }
        &'hfx;cache;help;verify'= {
        }
        &'hfx;cache;help;help'= {
        }
        &'hfx;dataset'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand fetch 'Download a dataset (or chosen configs/splits) into the cache and print the path'
            cand info 'Show configs, splits, files, sizes, row counts and columns'
            cand preview 'Show the first rows of a split'
            cand export 'Convert a split to jsonl, parquet or csv, streaming'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;dataset;fetch'= {
            cand --revision 'Branch, tag or commit'
            cand --config 'Only this config'
            cand --split 'Only these splits (repeatable)'
            cand --include 'Only files matching this glob (repeatable)'
            cand --local-dir 'Write real files into this directory instead of the shared cache'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;dataset;info'= {
            cand --revision 'Branch, tag or commit'
            cand --config 'Only this config'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;dataset;preview'= {
            cand --revision 'Branch, tag or commit'
            cand --config 'Config name'
            cand --split 'Split name'
            cand -n 'Number of rows'
            cand --rows 'Number of rows'
            cand --columns 'Only these columns (comma-separated)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;dataset;export'= {
            cand --revision 'Branch, tag or commit'
            cand --config 'Config name'
            cand --split 'Split to export'
            cand --to 'Output file (`.jsonl`, `.parquet`, `.csv` or `.tsv`); written to a temporary name first'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;dataset;help'= {
            cand fetch 'Download a dataset (or chosen configs/splits) into the cache and print the path'
            cand info 'Show configs, splits, files, sizes, row counts and columns'
            cand preview 'Show the first rows of a split'
            cand export 'Convert a split to jsonl, parquet or csv, streaming'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;dataset;help;fetch'= {
        }
        &'hfx;dataset;help;info'= {
        }
        &'hfx;dataset;help;preview'= {
        }
        &'hfx;dataset;help;export'= {
        }
        &'hfx;dataset;help;help'= {
        }
        &'hfx;tokenize'= {
            cand -f 'Read inputs from this file, one per line (`-` for stdin); encoded in parallel'
            cand --file 'Read inputs from this file, one per line (`-` for stdin); encoded in parallel'
            cand --decode 'Decode these comma-separated ids instead of encoding'
            cand --chat 'Render this chat (a JSON list of {role, content}) with the model''s template, then tokenize'
            cand --gguf-file 'Pick a GGUF file inside a GGUF repository or folder: its name, or a quantization tag (`Q8_0`; the same as `org/repo:Q8_0`)'
            cand --save-tokenizer 'Write the tokenizer as a `tokenizer.json` (e.g. the one built from a GGUF file) and exit'
            cand --threads 'Worker threads for `--file` (default: the CPUs available)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --ids 'Print only the ids (one line per input)'
            cand --tokens 'Print only the token strings (one line per input)'
            cand --offsets 'Print only the character offsets `start:end` (one line per input)'
            cand --no-special-tokens 'Do not add the special tokens the tokenizer adds by default (e.g. BOS, [CLS]/[SEP])'
            cand --count 'Print only the number of tokens (the total with `--file`)'
            cand --no-generation-prompt 'With `--chat`: do not append the assistant prompt'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;run'= {
            cand --gguf-file 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)'
            cand --dtype 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32'
            cand --quant 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are'
            cand --device 'Device: cpu, cuda[:N] or metal'
            cand --threads 'CPU threads'
            cand --system 'System prompt'
            cand --max-new-tokens 'Maximum new tokens'
            cand --temperature 'Sampling temperature (0 = greedy)'
            cand --top-k 'Top-k sampling'
            cand --top-p 'Top-p (nucleus) sampling'
            cand --min-p 'Min-p sampling'
            cand --repeat-penalty 'Repetition penalty'
            cand --repeat-last-n 'Window for the repetition penalty'
            cand --seed 'Random seed'
            cand --stop 'Stop strings (repeatable)'
            cand --lora 'Apply a LoRA adapter: a PEFT folder or a llama.cpp LoRA GGUF file'
            cand --file 'Read one input per line from this file (embedding models)'
            cand --json-schema 'Constrain the answer to JSON valid against this JSON Schema file'
            cand --regex 'Constrain the answer to match this regular expression'
            cand --grammar 'Constrain the answer to this grammar (llguidance''s Lark syntax)'
            cand --tools 'Offer these functions to the model (a JSON file with OpenAI''s `tools` list) and print its answer as JSON: `{"content", "tool_calls": [{"name", "arguments"}], "finish_reason"}` (`tool_calls` when it called)'
            cand --tool-choice 'With --tools: auto (the model chooses), required (at least one call), none, or a function''s name (that call). Calls are held to the tools'' schemas'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --raw 'Do not apply the chat template'
            cand --json-object 'Constrain the answer to a JSON object'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;convert'= {
            cand --to 'Output format: a transformers folder, one GGUF file, or llama.cpp''s LoRA adapter GGUF'
            cand --lora 'Merge this LoRA adapter (PEFT folder or LoRA GGUF) into the weights first'
            cand --base 'The base model the adapter belongs to (`--to gguf-lora`)'
            cand --dtype 'Float type of the weights [default: as the source stores them; f32 from GGUF to safetensors]'
            cand --quant 'Quantize the GGUF with llama-quantize''s tensor types for this preset'
            cand --gguf-file 'Pick a GGUF file inside a GGUF repository or folder: its name, or a quantization tag (`Q8_0`; the same as `org/repo:Q8_0`)'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;bench'= {
            cand --gguf-file 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)'
            cand --dtype 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32'
            cand --quant 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are'
            cand --device 'Device: cpu, cuda[:N] or metal'
            cand --threads 'CPU threads'
            cand -p 'Prompt lengths to process in one batch (comma-separated or repeated; 0 skips)'
            cand --n-prompt 'Prompt lengths to process in one batch (comma-separated or repeated; 0 skips)'
            cand -n 'Tokens to generate one at a time (comma-separated or repeated; 0 skips)'
            cand --n-gen 'Tokens to generate one at a time (comma-separated or repeated; 0 skips)'
            cand -r 'Repetitions of each test (after one warm-up run)'
            cand --repetitions 'Repetitions of each test (after one warm-up run)'
            cand --parallel 'Sequences generating together, one token each per step as `hfx serve` batches them (comma-separated or repeated; llama-batched-bench''s `-npl`): generation tests report their aggregate tokens per second'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;finetune'= {
            cand --gguf-file 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)'
            cand --dtype 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32'
            cand --quant 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are'
            cand --device 'Device: cpu, cuda[:N] or metal'
            cand --threads 'CPU threads'
            cand --data 'Training data: a local .jsonl/.json/.parquet/.csv file or a dataset repo (`org/name[:config][@rev]`, its train split)'
            cand -o 'The adapter folder to write'
            cand --output 'The adapter folder to write'
            cand --rank 'LoRA rank r (PEFT''s default)'
            cand --alpha 'LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with --rslora)'
            cand --dropout 'Dropout on the adapters'' input'
            cand --target-modules 'Projections to adapt: a comma-separated list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or `all-linear` (PEFT''s default: q_proj,v_proj)'
            cand --epochs 'Passes over the training data (TRL''s default); ignored with --max-steps'
            cand --max-steps 'Stop after this many optimizer updates'
            cand --batch-size 'Records per micro-batch (TRL''s default)'
            cand --grad-accum 'Micro-batches per optimizer update; the loss is the mean over all their labelled tokens'
            cand --lr 'Peak learning rate'
            cand --optimizer 'Optimizer (torch''s AdamW: betas 0.9/0.999, eps 1e-8)'
            cand --weight-decay 'Weight decay (decoupled, for AdamW)'
            cand --scheduler 'Learning-rate schedule after the warmup'
            cand --warmup-steps 'Updates of linear warmup'
            cand --warmup-ratio 'Warmup as a fraction of all updates'
            cand --max-grad-norm 'Clip the gradients'' global L2 norm to this (0 turns clipping off)'
            cand --max-seq-len 'Tokens per record (TRL''s default); longer records are truncated (or dropped with --drop-long) and counted'
            cand --matmul-precision 'How the frozen weights'' matrix products are computed, with torch''s set_float32_matmul_precision names: highest in f32; high splits each f32 into two bf16 and adds three products (about 16 significant bits, within the PEFT reference''s tolerances); medium is one bf16 product (bf16 mixed precision). high runs on AMX (Intel Xeon 4th generation and later), medium on AMX or AVX512-BF16 (AMD Zen 4 and later); where the CPU lacks them, the products are computed in f32'
            cand --eval-split 'Hold out this fraction of the records for evaluation'
            cand --eval-data 'Evaluation data (same forms as --data)'
            cand --eval-every 'Evaluate every N updates (and always at the end when there is evaluation data)'
            cand --save-every 'Save a checkpoint every N updates (Ctrl-C always saves one)'
            cand --adapter 'Start from this PEFT adapter (its rank, alpha and targets)'
            cand --seed 'Seed for the LoRA init, shuffling and dropout (TRL''s default)'
            cand --messages-column 'Column with the conversation'
            cand --prompt-column 'Column with the prompt'
            cand --completion-column 'Column with the completion'
            cand --text-column 'Column with plain text'
            cand --push 'Upload the adapter to this model repo when done'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --lora 'Train a LoRA adapter (the only kind of fine-tuning hfx does)'
            cand --rslora 'Rank-stabilised LoRA: scale by alpha / sqrt(r)'
            cand --drop-long 'Drop records longer than --max-seq-len instead of truncating them'
            cand --gradient-checkpointing 'Keep one layer''s activations at a time and recompute each layer in the backward pass: far less memory for long records and big batches, about a third more compute'
            cand --packing 'Pack several records into each row of --max-seq-len tokens (each still attends only to itself, with its own positions)'
            cand --resume 'Continue the run in --output from its newest checkpoint'
            cand --overwrite 'Replace an existing --output'
            cand --private 'Create the --push repo private'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;serve'= {
            cand --gguf-file 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)'
            cand --dtype 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32'
            cand --quant 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are'
            cand --device 'Device: cpu, cuda[:N] or metal'
            cand --threads 'CPU threads'
            cand --host 'Address to listen on (loopback unless told otherwise)'
            cand --port 'Port to listen on (0 picks a free one; the address is printed on stderr)'
            cand --api-key 'Require `Authorization: Bearer KEY` on every route but /health'
            cand --served-model-name 'The model''s name in /v1/models and responses (default: the model reference)'
            cand --lora 'Serve a PEFT LoRA adapter under NAME (repeatable); a request picks it with `model: NAME` (OpenAI) or `adapter_id` (TGI), and one batch mixes adapters and the base model'
            cand --max-batch-size 'Sequences decoded together in one step (continuous batching)'
            cand --max-input-tokens 'Longest prompt accepted, in tokens (default: the context minus one)'
            cand --max-total-tokens 'Longest prompt plus completion, in tokens (default: the context); also the completion length when a request sets none'
            cand --max-batch-total-tokens 'KV positions reserved by running sequences together (prompt + max tokens each); admission waits for room (default: max batch size x max total tokens)'
            cand --max-queue 'Requests waiting for a batch slot before new ones get 429'
            cand --ctx 'Context length to serve (default: the model''s own; a smaller one caps memory)'
            cand --cors-origin 'Allow browsers from this origin (repeatable; `*` for any)'
            cand --shutdown-timeout 'Seconds to let in-flight requests finish after SIGTERM or Ctrl-C'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --no-webui 'Do not serve the chat page at `/`'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;env'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;completions'= {
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;man'= {
            cand --dir 'Output directory'
            cand --format 'Output format for data written to stdout'
            cand --color 'Colour output: auto (terminal and no `NO_COLOR`), always or never'
            cand --endpoint 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)'
            cand --token 'Access token (overrides `HF_TOKEN` and the stored token); never printed'
            cand --cache-dir 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)'
            cand --json 'Shorthand for `--format json`'
            cand -q 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand --quiet 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout'
            cand -v 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --verbose 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
            cand --offline 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'hfx;help'= {
            cand login 'Log in to the Hub with an access token and store it like huggingface_hub does'
            cand logout 'Remove the active token, or one stored token with `--token-name`'
            cand whoami 'Show the logged-in user and organizations'
            cand auth 'Manage stored tokens (list, switch)'
            cand search 'Search models, datasets or spaces on the Hub'
            cand download 'Download a repository snapshot or files into the shared cache and print the path'
            cand upload 'Upload files or folders to a Hub repository'
            cand repo 'Create and manage Hub repositories'
            cand cache 'Inspect and clean the local cache'
            cand dataset 'Fetch, inspect and preview datasets'
            cand tokenize 'Tokenize text with a model''s tokenizer'
            cand run 'Run a model locally on a prompt'
            cand convert 'Export a model to safetensors or GGUF (quantized, LoRA merged), or an adapter to a LoRA GGUF'
            cand bench 'Measure prompt processing and generation speed (llama-bench style)'
            cand finetune 'Fine-tune a model with LoRA'
            cand serve 'Serve a model over an OpenAI- and TGI-compatible HTTP API'
            cand env 'Print the resolved settings: endpoint, cache and token paths, features, devices'
            cand completions 'Print a shell completion script'
            cand man 'Write man pages (one per subcommand) into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hfx;help;login'= {
        }
        &'hfx;help;logout'= {
        }
        &'hfx;help;whoami'= {
        }
        &'hfx;help;auth'= {
            cand list 'List stored tokens (masked); `*` marks the active one'
            cand switch 'Make a stored token the active one'
        }
        &'hfx;help;auth;list'= {
        }
        &'hfx;help;auth;switch'= {
        }
        &'hfx;help;search'= {
        }
        &'hfx;help;download'= {
        }
        &'hfx;help;upload'= {
        }
        &'hfx;help;repo'= {
            cand info 'Commit, files with sizes and LFS ids of a revision'
            cand ls 'List files and folders (a tree listing)'
            cand create 'Create a repository'
            cand delete 'Delete a repository'
            cand branch 'Create or delete a branch'
            cand tag 'Create, delete or list tags'
        }
        &'hfx;help;repo;info'= {
        }
        &'hfx;help;repo;ls'= {
        }
        &'hfx;help;repo;create'= {
        }
        &'hfx;help;repo;delete'= {
        }
        &'hfx;help;repo;branch'= {
        }
        &'hfx;help;repo;tag'= {
        }
        &'hfx;help;cache'= {
            cand ls 'List cached repositories with sizes, refs and last access'
            cand rm 'Delete repositories or revisions from the cache'
            cand prune 'Delete detached revisions, orphan partial downloads and unreferenced blobs'
            cand verify 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)'
        }
        &'hfx;help;cache;ls'= {
        }
        &'hfx;help;cache;rm'= {
        }
        &'hfx;help;cache;prune'= {
        }
        &'hfx;help;cache;verify'= {
        }
        &'hfx;help;dataset'= {
            cand fetch 'Download a dataset (or chosen configs/splits) into the cache and print the path'
            cand info 'Show configs, splits, files, sizes, row counts and columns'
            cand preview 'Show the first rows of a split'
            cand export 'Convert a split to jsonl, parquet or csv, streaming'
        }
        &'hfx;help;dataset;fetch'= {
        }
        &'hfx;help;dataset;info'= {
        }
        &'hfx;help;dataset;preview'= {
        }
        &'hfx;help;dataset;export'= {
        }
        &'hfx;help;tokenize'= {
        }
        &'hfx;help;run'= {
        }
        &'hfx;help;convert'= {
        }
        &'hfx;help;bench'= {
        }
        &'hfx;help;finetune'= {
        }
        &'hfx;help;serve'= {
        }
        &'hfx;help;env'= {
        }
        &'hfx;help;completions'= {
        }
        &'hfx;help;man'= {
        }
        &'hfx;help;help'= {
        }
    ]
    $completions[$command]
}
