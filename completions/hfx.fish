# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_hfx_global_optspecs
    string join \n format= json q/quiet v/verbose color= offline endpoint= token= cache-dir= h/help V/version
end

function __fish_hfx_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_hfx_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_hfx_using_subcommand
    set -l cmd (__fish_hfx_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c hfx -n "__fish_hfx_needs_command" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_needs_command" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_needs_command" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_needs_command" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_needs_command" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_needs_command" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_needs_command" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_needs_command" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_needs_command" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_needs_command" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "login" -d 'Log in to the Hub with an access token and store it like huggingface_hub does'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "logout" -d 'Remove the active token, or one stored token with `--token-name`'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "whoami" -d 'Show the logged-in user and organizations'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "auth" -d 'Manage stored tokens (list, switch)'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "search" -d 'Search models, datasets or spaces on the Hub'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "download" -d 'Download a repository snapshot or files into the shared cache and print the path'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "upload" -d 'Upload files or folders to a Hub repository'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "repo" -d 'Create and manage Hub repositories'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "cache" -d 'Inspect and clean the local cache'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "dataset" -d 'Fetch, inspect and preview datasets'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "tokenize" -d 'Tokenize text with a model\'s tokenizer'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "run" -d 'Run a model locally on a prompt'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "convert" -d 'Export a model to safetensors or GGUF (quantized, LoRA merged), or an adapter to a LoRA GGUF'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "bench" -d 'Measure prompt processing and generation speed (llama-bench style)'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "finetune" -d 'Fine-tune a model with LoRA'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "serve" -d 'Serve a model over an OpenAI- and TGI-compatible HTTP API'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "env" -d 'Print the resolved settings: endpoint, cache and token paths, features, devices'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "man" -d 'Write man pages (one per subcommand) into a directory'
complete -c hfx -n "__fish_hfx_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand login" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand login" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand login" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand login" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand login" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand login" -l force -d 'Replace the active token even if already logged in'
complete -c hfx -n "__fish_hfx_using_subcommand login" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand login" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand login" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand login" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand login" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand logout" -l token-name -d 'Remove only this stored token (default: the active token and every stored token)' -r
complete -c hfx -n "__fish_hfx_using_subcommand logout" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand logout" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand logout" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand logout" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand logout" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand logout" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand logout" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand logout" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand logout" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand logout" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand whoami" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -f -a "list" -d 'List stored tokens (masked); `*` marks the active one'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -f -a "ls" -d 'List stored tokens (masked); `*` marks the active one'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -f -a "switch" -d 'Make a stored token the active one'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and not __fish_seen_subcommand_from list ls switch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -l token-name -d 'Name of the stored token (prompted for on a terminal when omitted)' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from switch" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "list" -d 'List stored tokens (masked); `*` marks the active one'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "switch" -d 'Make a stored token the active one'
complete -c hfx -n "__fish_hfx_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand search" -l type -d 'What to search' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand search" -l author -d 'Only repositories of this user or organization' -r
complete -c hfx -n "__fish_hfx_using_subcommand search" -l filter -d 'Tag filter (repeatable; all must match), e.g. `gguf`, `license:apache-2.0`' -r
complete -c hfx -n "__fish_hfx_using_subcommand search" -l sort -d 'Sort key (descending)' -r -f -a "downloads\t''
likes\t''
trending\t''
created\t''
modified\t''"
complete -c hfx -n "__fish_hfx_using_subcommand search" -l limit -d 'Maximum number of results (pages are followed until reached)' -r
complete -c hfx -n "__fish_hfx_using_subcommand search" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand search" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand search" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand search" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand search" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand search" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand search" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand search" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand search" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand search" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand search" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand download" -l repo-type -d 'Repository type (default: model, or as given by an `hf://` prefix)' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand download" -l revision -d 'Branch, tag or commit (default: main)' -r
complete -c hfx -n "__fish_hfx_using_subcommand download" -l include -d 'Only files matching this glob (repeatable; `dir/` means the whole folder)' -r
complete -c hfx -n "__fish_hfx_using_subcommand download" -l exclude -d 'Skip files matching this glob (repeatable)' -r
complete -c hfx -n "__fish_hfx_using_subcommand download" -l local-dir -d 'Write real files into this directory instead of the shared cache' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand download" -l max-workers -d 'Files downloaded at the same time' -r
complete -c hfx -n "__fish_hfx_using_subcommand download" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand download" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand download" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand download" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand download" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand download" -l force -d 'Download again even if the files are cached'
complete -c hfx -n "__fish_hfx_using_subcommand download" -l dry-run -d 'Show what would be downloaded without downloading'
complete -c hfx -n "__fish_hfx_using_subcommand download" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand download" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand download" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand download" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand download" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand download" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l type -d 'Repository type' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l revision -d 'Branch to commit to (default: main)' -r
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l include -d 'Only files matching this glob (repeatable)' -r
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l exclude -d 'Skip files matching this glob (repeatable)' -r
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l delete -d 'Delete remote files matching this glob in the same commit (repeatable)' -r
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l commit-message -d 'Commit message' -r
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l commit-description -d 'Commit description' -r
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l private -d 'Create the repository as private if it does not exist'
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l create-pr -d 'Open a pull request instead of committing to the branch'
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand upload" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand upload" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand upload" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand upload" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand upload" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -f -a "info" -d 'Commit, files with sizes and LFS ids of a revision'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -f -a "ls" -d 'List files and folders (a tree listing)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -f -a "create" -d 'Create a repository'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -f -a "delete" -d 'Delete a repository'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -f -a "branch" -d 'Create or delete a branch'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -f -a "tag" -d 'Create, delete or list tags'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and not __fish_seen_subcommand_from info ls create delete branch tag help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l type -d 'Repository type (default: model, or as given by an `hf://` prefix)' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l revision -d 'Branch, tag or commit (default: main)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from info" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l type -d 'Repository type (default: model, or as given by an `hf://` prefix)' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l revision -d 'Branch, tag or commit (default: main)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -s R -l recursive -d 'List every file below, not just direct children'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l type -d 'Repository type (default: model, or as given by an `hf://` prefix)' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l space-sdk -d 'SDK of a new Space (gradio, streamlit, docker, static)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l private -d 'Create it private'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l exist-ok -d 'Succeed if it already exists'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -l type -d 'Repository type (default: model, or as given by an `hf://` prefix)' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l type -d 'Repository type (default: model, or as given by an `hf://` prefix)' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l revision -d 'Where a new branch or tag points (default: main)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -s m -l message -d 'Tag message' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from branch" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l type -d 'Repository type (default: model, or as given by an `hf://` prefix)' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l revision -d 'Where a new branch or tag points (default: main)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -s m -l message -d 'Tag message' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from tag" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "info" -d 'Commit, files with sizes and LFS ids of a revision'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List files and folders (a tree listing)'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a repository'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a repository'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "branch" -d 'Create or delete a branch'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "tag" -d 'Create, delete or list tags'
complete -c hfx -n "__fish_hfx_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -f -a "ls" -d 'List cached repositories with sizes, refs and last access'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -f -a "list" -d 'List cached repositories with sizes, refs and last access'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -f -a "rm" -d 'Delete repositories or revisions from the cache'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -f -a "prune" -d 'Delete detached revisions, orphan partial downloads and unreferenced blobs'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -f -a "verify" -d 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and not __fish_seen_subcommand_from ls list rm prune verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -l revisions -d 'One row per revision instead of per repository'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -l revisions -d 'One row per revision instead of per repository'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l repo-type -d 'Repository type for plain `org/name` targets' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l dry-run -d 'Show what would be deleted and how much space it frees'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -l dry-run -d 'Show what would be deleted'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l repo-type -d 'Repository type' -r -f -a "model\t''
dataset\t''
space\t''"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l revision -d 'Only this revision (branch, tag or commit); default: every cached revision' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List cached repositories with sizes, refs and last access'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Delete repositories or revisions from the cache'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Delete detached revisions, orphan partial downloads and unreferenced blobs'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)'
complete -c hfx -n "__fish_hfx_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -f -a "fetch" -d 'Download a dataset (or chosen configs/splits) into the cache and print the path'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -f -a "info" -d 'Show configs, splits, files, sizes, row counts and columns'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -f -a "preview" -d 'Show the first rows of a split'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -f -a "export" -d 'Convert a split to jsonl, parquet or csv, streaming'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and not __fish_seen_subcommand_from fetch info preview export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l revision -d 'Branch, tag or commit' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l config -d 'Only this config' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l split -d 'Only these splits (repeatable)' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l include -d 'Only files matching this glob (repeatable)' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l local-dir -d 'Write real files into this directory instead of the shared cache' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from fetch" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l revision -d 'Branch, tag or commit' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l config -d 'Only this config' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from info" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l revision -d 'Branch, tag or commit' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l config -d 'Config name' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l split -d 'Split name' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -s n -l rows -d 'Number of rows' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l columns -d 'Only these columns (comma-separated)' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from preview" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l revision -d 'Branch, tag or commit' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l config -d 'Config name' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l split -d 'Split to export' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l to -d 'Output file (`.jsonl`, `.parquet`, `.csv` or `.tsv`); written to a temporary name first' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "fetch" -d 'Download a dataset (or chosen configs/splits) into the cache and print the path'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show configs, splits, files, sizes, row counts and columns'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "preview" -d 'Show the first rows of a split'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "export" -d 'Convert a split to jsonl, parquet or csv, streaming'
complete -c hfx -n "__fish_hfx_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -s f -l file -d 'Read inputs from this file, one per line (`-` for stdin); encoded in parallel' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l decode -d 'Decode these comma-separated ids instead of encoding' -r
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l chat -d 'Render this chat (a JSON list of {role, content}) with the model\'s template, then tokenize' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l gguf-file -d 'Pick a GGUF file inside a GGUF repository or folder: its name, or a quantization tag (`Q8_0`; the same as `org/repo:Q8_0`)' -r
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l save-tokenizer -d 'Write the tokenizer as a `tokenizer.json` (e.g. the one built from a GGUF file) and exit' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l threads -d 'Worker threads for `--file` (default: the CPUs available)' -r
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l ids -d 'Print only the ids (one line per input)'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l tokens -d 'Print only the token strings (one line per input)'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l offsets -d 'Print only the character offsets `start:end` (one line per input)'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l no-special-tokens -d 'Do not add the special tokens the tokenizer adds by default (e.g. BOS, [CLS]/[SEP])'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l count -d 'Print only the number of tokens (the total with `--file`)'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l no-generation-prompt -d 'With `--chat`: do not append the assistant prompt'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand tokenize" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand run" -l gguf-file -d 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l dtype -d 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32' -r -f -a "f32\t''
f16\t''
bf16\t''"
complete -c hfx -n "__fish_hfx_using_subcommand run" -l quant -d 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are' -r -f -a "q8_0\t''
q4_0\t''
q4_k\t''
q5_k\t''
q6_k\t''"
complete -c hfx -n "__fish_hfx_using_subcommand run" -l device -d 'Device: cpu, cuda[:N] or metal' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l threads -d 'CPU threads' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l system -d 'System prompt' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l max-new-tokens -d 'Maximum new tokens' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l temperature -d 'Sampling temperature (0 = greedy)' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l top-k -d 'Top-k sampling' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l top-p -d 'Top-p (nucleus) sampling' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l min-p -d 'Min-p sampling' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l repeat-penalty -d 'Repetition penalty' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l repeat-last-n -d 'Window for the repetition penalty' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l seed -d 'Random seed' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l stop -d 'Stop strings (repeatable)' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l lora -d 'Apply a LoRA adapter: a PEFT folder or a llama.cpp LoRA GGUF file' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand run" -l file -d 'Read one input per line from this file (embedding models)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand run" -l json-schema -d 'Constrain the answer to JSON valid against this JSON Schema file' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand run" -l regex -d 'Constrain the answer to match this regular expression' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l grammar -d 'Constrain the answer to this grammar (llguidance\'s Lark syntax)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand run" -l tools -d 'Offer these functions to the model (a JSON file with OpenAI\'s `tools` list) and print its answer as JSON: `{"content", "tool_calls": [{"name", "arguments"}], "finish_reason"}` (`tool_calls` when it called)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand run" -l tool-choice -d 'With --tools: auto (the model chooses), required (at least one call), none, or a function\'s name (that call). Calls are held to the tools\' schemas' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand run" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand run" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand run" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand run" -l raw -d 'Do not apply the chat template'
complete -c hfx -n "__fish_hfx_using_subcommand run" -l json-object -d 'Constrain the answer to a JSON object'
complete -c hfx -n "__fish_hfx_using_subcommand run" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand run" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand run" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand run" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand run" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l to -d 'Output format: a transformers folder, one GGUF file, or llama.cpp\'s LoRA adapter GGUF' -r -f -a "safetensors\t''
gguf\t''
gguf-lora\t''"
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l lora -d 'Merge this LoRA adapter (PEFT folder or LoRA GGUF) into the weights first' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l base -d 'The base model the adapter belongs to (`--to gguf-lora`)' -r
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l dtype -d 'Float type of the weights [default: as the source stores them; f32 from GGUF to safetensors]' -r -f -a "f32\t''
f16\t''
bf16\t''"
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l quant -d 'Quantize the GGUF with llama-quantize\'s tensor types for this preset' -r -f -a "q8_0\t''
q4_0\t''
q4_k_m\t''"
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l gguf-file -d 'Pick a GGUF file inside a GGUF repository or folder: its name, or a quantization tag (`Q8_0`; the same as `org/repo:Q8_0`)' -r
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand convert" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand convert" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand convert" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand convert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand convert" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l gguf-file -d 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l dtype -d 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32' -r -f -a "f32\t''
f16\t''
bf16\t''"
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l quant -d 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are' -r -f -a "q8_0\t''
q4_0\t''
q4_k\t''
q5_k\t''
q6_k\t''"
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l device -d 'Device: cpu, cuda[:N] or metal' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l threads -d 'CPU threads' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -s p -l n-prompt -d 'Prompt lengths to process in one batch (comma-separated or repeated; 0 skips)' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -s n -l n-gen -d 'Tokens to generate one at a time (comma-separated or repeated; 0 skips)' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -s r -l repetitions -d 'Repetitions of each test (after one warm-up run)' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l parallel -d 'Sequences generating together, one token each per step as `hfx serve` batches them (comma-separated or repeated; llama-batched-bench\'s `-npl`): generation tests report their aggregate tokens per second' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand bench" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand bench" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand bench" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand bench" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l gguf-file -d 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l dtype -d 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32' -r -f -a "f32\t''
f16\t''
bf16\t''"
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l quant -d 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are' -r -f -a "q8_0\t''
q4_0\t''
q4_k\t''
q5_k\t''
q6_k\t''"
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l device -d 'Device: cpu, cuda[:N] or metal' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l threads -d 'CPU threads' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l data -d 'Training data: a local .jsonl/.json/.parquet/.csv file or a dataset repo (`org/name[:config][@rev]`, its train split)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -s o -l output -d 'The adapter folder to write' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l rank -d 'LoRA rank r (PEFT\'s default)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l alpha -d 'LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with --rslora)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l dropout -d 'Dropout on the adapters\' input' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l target-modules -d 'Projections to adapt: a comma-separated list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or `all-linear` (PEFT\'s default: q_proj,v_proj)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l epochs -d 'Passes over the training data (TRL\'s default); ignored with --max-steps' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l max-steps -d 'Stop after this many optimizer updates' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l batch-size -d 'Records per micro-batch (TRL\'s default)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l grad-accum -d 'Micro-batches per optimizer update; the loss is the mean over all their labelled tokens' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l lr -d 'Peak learning rate' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l optimizer -d 'Optimizer (torch\'s AdamW: betas 0.9/0.999, eps 1e-8)' -r -f -a "adamw\t''
sgd\t''"
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l weight-decay -d 'Weight decay (decoupled, for AdamW)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l scheduler -d 'Learning-rate schedule after the warmup' -r -f -a "linear\t''
cosine\t''
constant\t''"
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l warmup-steps -d 'Updates of linear warmup' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l warmup-ratio -d 'Warmup as a fraction of all updates' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l max-grad-norm -d 'Clip the gradients\' global L2 norm to this (0 turns clipping off)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l max-seq-len -d 'Tokens per record (TRL\'s default); longer records are truncated (or dropped with --drop-long) and counted' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l matmul-precision -d 'How the frozen weights\' matrix products are computed, with torch\'s set_float32_matmul_precision names: highest in f32; high splits each f32 into two bf16 and adds three products (about 16 significant bits, within the PEFT reference\'s tolerances); medium is one bf16 product (bf16 mixed precision). high runs on AMX (Intel Xeon 4th generation and later), medium on AMX or AVX512-BF16 (AMD Zen 4 and later); where the CPU lacks them, the products are computed in f32' -r -f -a "highest\t''
high\t''
medium\t''"
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l eval-split -d 'Hold out this fraction of the records for evaluation' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l eval-data -d 'Evaluation data (same forms as --data)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l eval-every -d 'Evaluate every N updates (and always at the end when there is evaluation data)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l save-every -d 'Save a checkpoint every N updates (Ctrl-C always saves one)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l adapter -d 'Start from this PEFT adapter (its rank, alpha and targets)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l seed -d 'Seed for the LoRA init, shuffling and dropout (TRL\'s default)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l messages-column -d 'Column with the conversation' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l prompt-column -d 'Column with the prompt' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l completion-column -d 'Column with the completion' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l text-column -d 'Column with plain text' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l push -d 'Upload the adapter to this model repo when done' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l lora -d 'Train a LoRA adapter (the only kind of fine-tuning hfx does)'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l rslora -d 'Rank-stabilised LoRA: scale by alpha / sqrt(r)'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l drop-long -d 'Drop records longer than --max-seq-len instead of truncating them'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l gradient-checkpointing -d 'Keep one layer\'s activations at a time and recompute each layer in the backward pass: far less memory for long records and big batches, about a third more compute'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l packing -d 'Pack several records into each row of --max-seq-len tokens (each still attends only to itself, with its own positions)'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l resume -d 'Continue the run in --output from its newest checkpoint'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l overwrite -d 'Replace an existing --output'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l private -d 'Create the --push repo private'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand finetune" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l gguf-file -d 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l dtype -d 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32' -r -f -a "f32\t''
f16\t''
bf16\t''"
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l quant -d 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are' -r -f -a "q8_0\t''
q4_0\t''
q4_k\t''
q5_k\t''
q6_k\t''"
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l device -d 'Device: cpu, cuda[:N] or metal' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l threads -d 'CPU threads' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l host -d 'Address to listen on (loopback unless told otherwise)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l port -d 'Port to listen on (0 picks a free one; the address is printed on stderr)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l api-key -d 'Require `Authorization: Bearer KEY` on every route but /health' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l served-model-name -d 'The model\'s name in /v1/models and responses (default: the model reference)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l lora -d 'Serve a PEFT LoRA adapter under NAME (repeatable); a request picks it with `model: NAME` (OpenAI) or `adapter_id` (TGI), and one batch mixes adapters and the base model' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l max-batch-size -d 'Sequences decoded together in one step (continuous batching)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l max-input-tokens -d 'Longest prompt accepted, in tokens (default: the context minus one)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l max-total-tokens -d 'Longest prompt plus completion, in tokens (default: the context); also the completion length when a request sets none' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l max-batch-total-tokens -d 'KV positions reserved by running sequences together (prompt + max tokens each); admission waits for room (default: max batch size x max total tokens)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l max-queue -d 'Requests waiting for a batch slot before new ones get 429' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l ctx -d 'Context length to serve (default: the model\'s own; a smaller one caps memory)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l cors-origin -d 'Allow browsers from this origin (repeatable; `*` for any)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l shutdown-timeout -d 'Seconds to let in-flight requests finish after SIGTERM or Ctrl-C' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l no-webui -d 'Do not serve the chat page at `/`'
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand serve" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand serve" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand serve" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand serve" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand env" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand env" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand env" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand env" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand env" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand env" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand env" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand env" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand env" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand env" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand completions" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand completions" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand completions" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand completions" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand completions" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand completions" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand completions" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand completions" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand completions" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand completions" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand man" -l dir -d 'Output directory' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand man" -l format -d 'Output format for data written to stdout' -r -f -a "human\t'Tables and plain lines for people'
json\t'JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times)'"
complete -c hfx -n "__fish_hfx_using_subcommand man" -l color -d 'Colour output: auto (terminal and no `NO_COLOR`), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c hfx -n "__fish_hfx_using_subcommand man" -l endpoint -d 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)' -r
complete -c hfx -n "__fish_hfx_using_subcommand man" -l token -d 'Access token (overrides `HF_TOKEN` and the stored token); never printed' -r
complete -c hfx -n "__fish_hfx_using_subcommand man" -l cache-dir -d 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)' -r -F
complete -c hfx -n "__fish_hfx_using_subcommand man" -l json -d 'Shorthand for `--format json`'
complete -c hfx -n "__fish_hfx_using_subcommand man" -s q -l quiet -d 'Hide progress and messages (repeat to silence errors\' hints too); data still goes to stdout'
complete -c hfx -n "__fish_hfx_using_subcommand man" -s v -l verbose -d 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides'
complete -c hfx -n "__fish_hfx_using_subcommand man" -l offline -d 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)'
complete -c hfx -n "__fish_hfx_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hfx -n "__fish_hfx_using_subcommand man" -s V -l version -d 'Print version'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "login" -d 'Log in to the Hub with an access token and store it like huggingface_hub does'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "logout" -d 'Remove the active token, or one stored token with `--token-name`'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "whoami" -d 'Show the logged-in user and organizations'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "auth" -d 'Manage stored tokens (list, switch)'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "search" -d 'Search models, datasets or spaces on the Hub'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "download" -d 'Download a repository snapshot or files into the shared cache and print the path'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "upload" -d 'Upload files or folders to a Hub repository'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "repo" -d 'Create and manage Hub repositories'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "cache" -d 'Inspect and clean the local cache'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "dataset" -d 'Fetch, inspect and preview datasets'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "tokenize" -d 'Tokenize text with a model\'s tokenizer'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "run" -d 'Run a model locally on a prompt'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "convert" -d 'Export a model to safetensors or GGUF (quantized, LoRA merged), or an adapter to a LoRA GGUF'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "bench" -d 'Measure prompt processing and generation speed (llama-bench style)'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "finetune" -d 'Fine-tune a model with LoRA'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "serve" -d 'Serve a model over an OpenAI- and TGI-compatible HTTP API'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "env" -d 'Print the resolved settings: endpoint, cache and token paths, features, devices'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "man" -d 'Write man pages (one per subcommand) into a directory'
complete -c hfx -n "__fish_hfx_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami auth search download upload repo cache dataset tokenize run convert bench finetune serve env completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "list" -d 'List stored tokens (masked); `*` marks the active one'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "switch" -d 'Make a stored token the active one'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "info" -d 'Commit, files with sizes and LFS ids of a revision'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "ls" -d 'List files and folders (a tree listing)'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "create" -d 'Create a repository'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "delete" -d 'Delete a repository'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "branch" -d 'Create or delete a branch'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "tag" -d 'Create, delete or list tags'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "ls" -d 'List cached repositories with sizes, refs and last access'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "rm" -d 'Delete repositories or revisions from the cache'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "prune" -d 'Delete detached revisions, orphan partial downloads and unreferenced blobs'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "verify" -d 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "fetch" -d 'Download a dataset (or chosen configs/splits) into the cache and print the path'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "info" -d 'Show configs, splits, files, sizes, row counts and columns'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "preview" -d 'Show the first rows of a split'
complete -c hfx -n "__fish_hfx_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "export" -d 'Convert a split to jsonl, parquet or csv, streaming'
