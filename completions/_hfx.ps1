
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'hfx' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'hfx'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'hfx' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to the Hub with an access token and store it like huggingface_hub does')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove the active token, or one stored token with `--token-name`')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show the logged-in user and organizations')
            [CompletionResult]::new('auth', 'auth', [CompletionResultType]::ParameterValue, 'Manage stored tokens (list, switch)')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'Search models, datasets or spaces on the Hub')
            [CompletionResult]::new('download', 'download', [CompletionResultType]::ParameterValue, 'Download a repository snapshot or files into the shared cache and print the path')
            [CompletionResult]::new('upload', 'upload', [CompletionResultType]::ParameterValue, 'Upload files or folders to a Hub repository')
            [CompletionResult]::new('repo', 'repo', [CompletionResultType]::ParameterValue, 'Create and manage Hub repositories')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect and clean the local cache')
            [CompletionResult]::new('dataset', 'dataset', [CompletionResultType]::ParameterValue, 'Fetch, inspect and preview datasets')
            [CompletionResult]::new('tokenize', 'tokenize', [CompletionResultType]::ParameterValue, 'Tokenize text with a model''s tokenizer')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a model locally on a prompt')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Export a model to safetensors or GGUF (quantized, LoRA merged), or an adapter to a LoRA GGUF')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure prompt processing and generation speed (llama-bench style)')
            [CompletionResult]::new('finetune', 'finetune', [CompletionResultType]::ParameterValue, 'Fine-tune a model with LoRA')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a model over an OpenAI- and TGI-compatible HTTP API')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the resolved settings: endpoint, cache and token paths, features, devices')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages (one per subcommand) into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;login' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the active token even if already logged in')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;logout' {
            [CompletionResult]::new('--token-name', '--token-name', [CompletionResultType]::ParameterName, 'Remove only this stored token (default: the active token and every stored token)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;whoami' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;auth' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List stored tokens (masked); `*` marks the active one')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List stored tokens (masked); `*` marks the active one')
            [CompletionResult]::new('switch', 'switch', [CompletionResultType]::ParameterValue, 'Make a stored token the active one')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;auth;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;auth;ls' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;auth;switch' {
            [CompletionResult]::new('--token-name', '--token-name', [CompletionResultType]::ParameterName, 'Name of the stored token (prompted for on a terminal when omitted)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;auth;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List stored tokens (masked); `*` marks the active one')
            [CompletionResult]::new('switch', 'switch', [CompletionResultType]::ParameterValue, 'Make a stored token the active one')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;auth;help;list' {
            break
        }
        'hfx;auth;help;switch' {
            break
        }
        'hfx;auth;help;help' {
            break
        }
        'hfx;search' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'What to search')
            [CompletionResult]::new('--author', '--author', [CompletionResultType]::ParameterName, 'Only repositories of this user or organization')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Tag filter (repeatable; all must match), e.g. `gguf`, `license:apache-2.0`')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Sort key (descending)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Maximum number of results (pages are followed until reached)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;download' {
            [CompletionResult]::new('--repo-type', '--repo-type', [CompletionResultType]::ParameterName, 'Repository type (default: model, or as given by an `hf://` prefix)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit (default: main)')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Only files matching this glob (repeatable; `dir/` means the whole folder)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip files matching this glob (repeatable)')
            [CompletionResult]::new('--local-dir', '--local-dir', [CompletionResultType]::ParameterName, 'Write real files into this directory instead of the shared cache')
            [CompletionResult]::new('--max-workers', '--max-workers', [CompletionResultType]::ParameterName, 'Files downloaded at the same time')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Download again even if the files are cached')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be downloaded without downloading')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;upload' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Repository type')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch to commit to (default: main)')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Only files matching this glob (repeatable)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip files matching this glob (repeatable)')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Delete remote files matching this glob in the same commit (repeatable)')
            [CompletionResult]::new('--commit-message', '--commit-message', [CompletionResultType]::ParameterName, 'Commit message')
            [CompletionResult]::new('--commit-description', '--commit-description', [CompletionResultType]::ParameterName, 'Commit description')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--private', '--private', [CompletionResultType]::ParameterName, 'Create the repository as private if it does not exist')
            [CompletionResult]::new('--create-pr', '--create-pr', [CompletionResultType]::ParameterName, 'Open a pull request instead of committing to the branch')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;repo' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Commit, files with sizes and LFS ids of a revision')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List files and folders (a tree listing)')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a repository')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a repository')
            [CompletionResult]::new('branch', 'branch', [CompletionResultType]::ParameterValue, 'Create or delete a branch')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Create, delete or list tags')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;repo;info' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Repository type (default: model, or as given by an `hf://` prefix)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit (default: main)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;repo;ls' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Repository type (default: model, or as given by an `hf://` prefix)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit (default: main)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'List every file below, not just direct children')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'List every file below, not just direct children')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;repo;create' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Repository type (default: model, or as given by an `hf://` prefix)')
            [CompletionResult]::new('--space-sdk', '--space-sdk', [CompletionResultType]::ParameterName, 'SDK of a new Space (gradio, streamlit, docker, static)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--private', '--private', [CompletionResultType]::ParameterName, 'Create it private')
            [CompletionResult]::new('--exist-ok', '--exist-ok', [CompletionResultType]::ParameterName, 'Succeed if it already exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;repo;delete' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Repository type (default: model, or as given by an `hf://` prefix)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;repo;branch' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Repository type (default: model, or as given by an `hf://` prefix)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Where a new branch or tag points (default: main)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Tag message')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Tag message')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;repo;tag' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Repository type (default: model, or as given by an `hf://` prefix)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Where a new branch or tag points (default: main)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Tag message')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Tag message')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;repo;help' {
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Commit, files with sizes and LFS ids of a revision')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List files and folders (a tree listing)')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a repository')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a repository')
            [CompletionResult]::new('branch', 'branch', [CompletionResultType]::ParameterValue, 'Create or delete a branch')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Create, delete or list tags')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;repo;help;info' {
            break
        }
        'hfx;repo;help;ls' {
            break
        }
        'hfx;repo;help;create' {
            break
        }
        'hfx;repo;help;delete' {
            break
        }
        'hfx;repo;help;branch' {
            break
        }
        'hfx;repo;help;tag' {
            break
        }
        'hfx;repo;help;help' {
            break
        }
        'hfx;cache' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List cached repositories with sizes, refs and last access')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List cached repositories with sizes, refs and last access')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete repositories or revisions from the cache')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete detached revisions, orphan partial downloads and unreferenced blobs')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;cache;ls' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--revisions', '--revisions', [CompletionResultType]::ParameterName, 'One row per revision instead of per repository')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;cache;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--revisions', '--revisions', [CompletionResultType]::ParameterName, 'One row per revision instead of per repository')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;cache;rm' {
            [CompletionResult]::new('--repo-type', '--repo-type', [CompletionResultType]::ParameterName, 'Repository type for plain `org/name` targets')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be deleted and how much space it frees')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;cache;prune' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be deleted')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;cache;verify' {
            [CompletionResult]::new('--repo-type', '--repo-type', [CompletionResultType]::ParameterName, 'Repository type')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Only this revision (branch, tag or commit); default: every cached revision')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;cache;help' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List cached repositories with sizes, refs and last access')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete repositories or revisions from the cache')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete detached revisions, orphan partial downloads and unreferenced blobs')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;cache;help;ls' {
            break
        }
        'hfx;cache;help;rm' {
            break
        }
        'hfx;cache;help;prune' {
            break
        }
        'hfx;cache;help;verify' {
            break
        }
        'hfx;cache;help;help' {
            break
        }
        'hfx;dataset' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download a dataset (or chosen configs/splits) into the cache and print the path')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show configs, splits, files, sizes, row counts and columns')
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Show the first rows of a split')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Convert a split to jsonl, parquet or csv, streaming')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;dataset;fetch' {
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Only this config')
            [CompletionResult]::new('--split', '--split', [CompletionResultType]::ParameterName, 'Only these splits (repeatable)')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Only files matching this glob (repeatable)')
            [CompletionResult]::new('--local-dir', '--local-dir', [CompletionResultType]::ParameterName, 'Write real files into this directory instead of the shared cache')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;dataset;info' {
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Only this config')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;dataset;preview' {
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config name')
            [CompletionResult]::new('--split', '--split', [CompletionResultType]::ParameterName, 'Split name')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Number of rows')
            [CompletionResult]::new('--rows', '--rows', [CompletionResultType]::ParameterName, 'Number of rows')
            [CompletionResult]::new('--columns', '--columns', [CompletionResultType]::ParameterName, 'Only these columns (comma-separated)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;dataset;export' {
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config name')
            [CompletionResult]::new('--split', '--split', [CompletionResultType]::ParameterName, 'Split to export')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Output file (`.jsonl`, `.parquet`, `.csv` or `.tsv`); written to a temporary name first')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;dataset;help' {
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download a dataset (or chosen configs/splits) into the cache and print the path')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show configs, splits, files, sizes, row counts and columns')
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Show the first rows of a split')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Convert a split to jsonl, parquet or csv, streaming')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;dataset;help;fetch' {
            break
        }
        'hfx;dataset;help;info' {
            break
        }
        'hfx;dataset;help;preview' {
            break
        }
        'hfx;dataset;help;export' {
            break
        }
        'hfx;dataset;help;help' {
            break
        }
        'hfx;tokenize' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read inputs from this file, one per line (`-` for stdin); encoded in parallel')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read inputs from this file, one per line (`-` for stdin); encoded in parallel')
            [CompletionResult]::new('--decode', '--decode', [CompletionResultType]::ParameterName, 'Decode these comma-separated ids instead of encoding')
            [CompletionResult]::new('--chat', '--chat', [CompletionResultType]::ParameterName, 'Render this chat (a JSON list of {role, content}) with the model''s template, then tokenize')
            [CompletionResult]::new('--gguf-file', '--gguf-file', [CompletionResultType]::ParameterName, 'Pick a GGUF file inside a GGUF repository or folder: its name, or a quantization tag (`Q8_0`; the same as `org/repo:Q8_0`)')
            [CompletionResult]::new('--save-tokenizer', '--save-tokenizer', [CompletionResultType]::ParameterName, 'Write the tokenizer as a `tokenizer.json` (e.g. the one built from a GGUF file) and exit')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Worker threads for `--file` (default: the CPUs available)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--ids', '--ids', [CompletionResultType]::ParameterName, 'Print only the ids (one line per input)')
            [CompletionResult]::new('--tokens', '--tokens', [CompletionResultType]::ParameterName, 'Print only the token strings (one line per input)')
            [CompletionResult]::new('--offsets', '--offsets', [CompletionResultType]::ParameterName, 'Print only the character offsets `start:end` (one line per input)')
            [CompletionResult]::new('--no-special-tokens', '--no-special-tokens', [CompletionResultType]::ParameterName, 'Do not add the special tokens the tokenizer adds by default (e.g. BOS, [CLS]/[SEP])')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Print only the number of tokens (the total with `--file`)')
            [CompletionResult]::new('--no-generation-prompt', '--no-generation-prompt', [CompletionResultType]::ParameterName, 'With `--chat`: do not append the assistant prompt')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;run' {
            [CompletionResult]::new('--gguf-file', '--gguf-file', [CompletionResultType]::ParameterName, 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)')
            [CompletionResult]::new('--dtype', '--dtype', [CompletionResultType]::ParameterName, 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32')
            [CompletionResult]::new('--quant', '--quant', [CompletionResultType]::ParameterName, 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Device: cpu, cuda[:N] or metal')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'CPU threads')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'System prompt')
            [CompletionResult]::new('--max-new-tokens', '--max-new-tokens', [CompletionResultType]::ParameterName, 'Maximum new tokens')
            [CompletionResult]::new('--temperature', '--temperature', [CompletionResultType]::ParameterName, 'Sampling temperature (0 = greedy)')
            [CompletionResult]::new('--top-k', '--top-k', [CompletionResultType]::ParameterName, 'Top-k sampling')
            [CompletionResult]::new('--top-p', '--top-p', [CompletionResultType]::ParameterName, 'Top-p (nucleus) sampling')
            [CompletionResult]::new('--min-p', '--min-p', [CompletionResultType]::ParameterName, 'Min-p sampling')
            [CompletionResult]::new('--repeat-penalty', '--repeat-penalty', [CompletionResultType]::ParameterName, 'Repetition penalty')
            [CompletionResult]::new('--repeat-last-n', '--repeat-last-n', [CompletionResultType]::ParameterName, 'Window for the repetition penalty')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Random seed')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Stop strings (repeatable)')
            [CompletionResult]::new('--lora', '--lora', [CompletionResultType]::ParameterName, 'Apply a LoRA adapter: a PEFT folder or a llama.cpp LoRA GGUF file')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read one input per line from this file (embedding models)')
            [CompletionResult]::new('--json-schema', '--json-schema', [CompletionResultType]::ParameterName, 'Constrain the answer to JSON valid against this JSON Schema file')
            [CompletionResult]::new('--regex', '--regex', [CompletionResultType]::ParameterName, 'Constrain the answer to match this regular expression')
            [CompletionResult]::new('--grammar', '--grammar', [CompletionResultType]::ParameterName, 'Constrain the answer to this grammar (llguidance''s Lark syntax)')
            [CompletionResult]::new('--tools', '--tools', [CompletionResultType]::ParameterName, 'Offer these functions to the model (a JSON file with OpenAI''s `tools` list) and print its answer as JSON: `{"content", "tool_calls": [{"name", "arguments"}], "finish_reason"}` (`tool_calls` when it called)')
            [CompletionResult]::new('--tool-choice', '--tool-choice', [CompletionResultType]::ParameterName, 'With --tools: auto (the model chooses), required (at least one call), none, or a function''s name (that call). Calls are held to the tools'' schemas')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Do not apply the chat template')
            [CompletionResult]::new('--json-object', '--json-object', [CompletionResultType]::ParameterName, 'Constrain the answer to a JSON object')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;convert' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Output format: a transformers folder, one GGUF file, or llama.cpp''s LoRA adapter GGUF')
            [CompletionResult]::new('--lora', '--lora', [CompletionResultType]::ParameterName, 'Merge this LoRA adapter (PEFT folder or LoRA GGUF) into the weights first')
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'The base model the adapter belongs to (`--to gguf-lora`)')
            [CompletionResult]::new('--dtype', '--dtype', [CompletionResultType]::ParameterName, 'Float type of the weights [default: as the source stores them; f32 from GGUF to safetensors]')
            [CompletionResult]::new('--quant', '--quant', [CompletionResultType]::ParameterName, 'Quantize the GGUF with llama-quantize''s tensor types for this preset')
            [CompletionResult]::new('--gguf-file', '--gguf-file', [CompletionResultType]::ParameterName, 'Pick a GGUF file inside a GGUF repository or folder: its name, or a quantization tag (`Q8_0`; the same as `org/repo:Q8_0`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;bench' {
            [CompletionResult]::new('--gguf-file', '--gguf-file', [CompletionResultType]::ParameterName, 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)')
            [CompletionResult]::new('--dtype', '--dtype', [CompletionResultType]::ParameterName, 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32')
            [CompletionResult]::new('--quant', '--quant', [CompletionResultType]::ParameterName, 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Device: cpu, cuda[:N] or metal')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'CPU threads')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Prompt lengths to process in one batch (comma-separated or repeated; 0 skips)')
            [CompletionResult]::new('--n-prompt', '--n-prompt', [CompletionResultType]::ParameterName, 'Prompt lengths to process in one batch (comma-separated or repeated; 0 skips)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Tokens to generate one at a time (comma-separated or repeated; 0 skips)')
            [CompletionResult]::new('--n-gen', '--n-gen', [CompletionResultType]::ParameterName, 'Tokens to generate one at a time (comma-separated or repeated; 0 skips)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Repetitions of each test (after one warm-up run)')
            [CompletionResult]::new('--repetitions', '--repetitions', [CompletionResultType]::ParameterName, 'Repetitions of each test (after one warm-up run)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Sequences generating together, one token each per step as `hfx serve` batches them (comma-separated or repeated; llama-batched-bench''s `-npl`): generation tests report their aggregate tokens per second')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;finetune' {
            [CompletionResult]::new('--gguf-file', '--gguf-file', [CompletionResultType]::ParameterName, 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)')
            [CompletionResult]::new('--dtype', '--dtype', [CompletionResultType]::ParameterName, 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32')
            [CompletionResult]::new('--quant', '--quant', [CompletionResultType]::ParameterName, 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Device: cpu, cuda[:N] or metal')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'CPU threads')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Training data: a local .jsonl/.json/.parquet/.csv file or a dataset repo (`org/name[:config][@rev]`, its train split)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The adapter folder to write')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The adapter folder to write')
            [CompletionResult]::new('--rank', '--rank', [CompletionResultType]::ParameterName, 'LoRA rank r (PEFT''s default)')
            [CompletionResult]::new('--alpha', '--alpha', [CompletionResultType]::ParameterName, 'LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with --rslora)')
            [CompletionResult]::new('--dropout', '--dropout', [CompletionResultType]::ParameterName, 'Dropout on the adapters'' input')
            [CompletionResult]::new('--target-modules', '--target-modules', [CompletionResultType]::ParameterName, 'Projections to adapt: a comma-separated list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or `all-linear` (PEFT''s default: q_proj,v_proj)')
            [CompletionResult]::new('--epochs', '--epochs', [CompletionResultType]::ParameterName, 'Passes over the training data (TRL''s default); ignored with --max-steps')
            [CompletionResult]::new('--max-steps', '--max-steps', [CompletionResultType]::ParameterName, 'Stop after this many optimizer updates')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Records per micro-batch (TRL''s default)')
            [CompletionResult]::new('--grad-accum', '--grad-accum', [CompletionResultType]::ParameterName, 'Micro-batches per optimizer update; the loss is the mean over all their labelled tokens')
            [CompletionResult]::new('--lr', '--lr', [CompletionResultType]::ParameterName, 'Peak learning rate')
            [CompletionResult]::new('--optimizer', '--optimizer', [CompletionResultType]::ParameterName, 'Optimizer (torch''s AdamW: betas 0.9/0.999, eps 1e-8)')
            [CompletionResult]::new('--weight-decay', '--weight-decay', [CompletionResultType]::ParameterName, 'Weight decay (decoupled, for AdamW)')
            [CompletionResult]::new('--scheduler', '--scheduler', [CompletionResultType]::ParameterName, 'Learning-rate schedule after the warmup')
            [CompletionResult]::new('--warmup-steps', '--warmup-steps', [CompletionResultType]::ParameterName, 'Updates of linear warmup')
            [CompletionResult]::new('--warmup-ratio', '--warmup-ratio', [CompletionResultType]::ParameterName, 'Warmup as a fraction of all updates')
            [CompletionResult]::new('--max-grad-norm', '--max-grad-norm', [CompletionResultType]::ParameterName, 'Clip the gradients'' global L2 norm to this (0 turns clipping off)')
            [CompletionResult]::new('--max-seq-len', '--max-seq-len', [CompletionResultType]::ParameterName, 'Tokens per record (TRL''s default); longer records are truncated (or dropped with --drop-long) and counted')
            [CompletionResult]::new('--matmul-precision', '--matmul-precision', [CompletionResultType]::ParameterName, 'How the frozen weights'' matrix products are computed, with torch''s set_float32_matmul_precision names: highest in f32; high splits each f32 into two bf16 and adds three products (about 16 significant bits, within the PEFT reference''s tolerances); medium is one bf16 product (bf16 mixed precision). high runs on AMX (Intel Xeon 4th generation and later), medium on AMX or AVX512-BF16 (AMD Zen 4 and later); where the CPU lacks them, the products are computed in f32')
            [CompletionResult]::new('--eval-split', '--eval-split', [CompletionResultType]::ParameterName, 'Hold out this fraction of the records for evaluation')
            [CompletionResult]::new('--eval-data', '--eval-data', [CompletionResultType]::ParameterName, 'Evaluation data (same forms as --data)')
            [CompletionResult]::new('--eval-every', '--eval-every', [CompletionResultType]::ParameterName, 'Evaluate every N updates (and always at the end when there is evaluation data)')
            [CompletionResult]::new('--save-every', '--save-every', [CompletionResultType]::ParameterName, 'Save a checkpoint every N updates (Ctrl-C always saves one)')
            [CompletionResult]::new('--adapter', '--adapter', [CompletionResultType]::ParameterName, 'Start from this PEFT adapter (its rank, alpha and targets)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for the LoRA init, shuffling and dropout (TRL''s default)')
            [CompletionResult]::new('--messages-column', '--messages-column', [CompletionResultType]::ParameterName, 'Column with the conversation')
            [CompletionResult]::new('--prompt-column', '--prompt-column', [CompletionResultType]::ParameterName, 'Column with the prompt')
            [CompletionResult]::new('--completion-column', '--completion-column', [CompletionResultType]::ParameterName, 'Column with the completion')
            [CompletionResult]::new('--text-column', '--text-column', [CompletionResultType]::ParameterName, 'Column with plain text')
            [CompletionResult]::new('--push', '--push', [CompletionResultType]::ParameterName, 'Upload the adapter to this model repo when done')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--lora', '--lora', [CompletionResultType]::ParameterName, 'Train a LoRA adapter (the only kind of fine-tuning hfx does)')
            [CompletionResult]::new('--rslora', '--rslora', [CompletionResultType]::ParameterName, 'Rank-stabilised LoRA: scale by alpha / sqrt(r)')
            [CompletionResult]::new('--drop-long', '--drop-long', [CompletionResultType]::ParameterName, 'Drop records longer than --max-seq-len instead of truncating them')
            [CompletionResult]::new('--gradient-checkpointing', '--gradient-checkpointing', [CompletionResultType]::ParameterName, 'Keep one layer''s activations at a time and recompute each layer in the backward pass: far less memory for long records and big batches, about a third more compute')
            [CompletionResult]::new('--packing', '--packing', [CompletionResultType]::ParameterName, 'Pack several records into each row of --max-seq-len tokens (each still attends only to itself, with its own positions)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Continue the run in --output from its newest checkpoint')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace an existing --output')
            [CompletionResult]::new('--private', '--private', [CompletionResultType]::ParameterName, 'Create the --push repo private')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;serve' {
            [CompletionResult]::new('--gguf-file', '--gguf-file', [CompletionResultType]::ParameterName, 'Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`)')
            [CompletionResult]::new('--dtype', '--dtype', [CompletionResultType]::ParameterName, 'How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32')
            [CompletionResult]::new('--quant', '--quant', [CompletionResultType]::ParameterName, 'Quantize float weights while loading, one tensor at a time (the peak never holds the whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0 (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0, q4_k and q5_k. Quantized GGUF tensors stay as they are')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Device: cpu, cuda[:N] or metal')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'CPU threads')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on (loopback unless told otherwise)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on (0 picks a free one; the address is printed on stderr)')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'Require `Authorization: Bearer KEY` on every route but /health')
            [CompletionResult]::new('--served-model-name', '--served-model-name', [CompletionResultType]::ParameterName, 'The model''s name in /v1/models and responses (default: the model reference)')
            [CompletionResult]::new('--lora', '--lora', [CompletionResultType]::ParameterName, 'Serve a PEFT LoRA adapter under NAME (repeatable); a request picks it with `model: NAME` (OpenAI) or `adapter_id` (TGI), and one batch mixes adapters and the base model')
            [CompletionResult]::new('--max-batch-size', '--max-batch-size', [CompletionResultType]::ParameterName, 'Sequences decoded together in one step (continuous batching)')
            [CompletionResult]::new('--max-input-tokens', '--max-input-tokens', [CompletionResultType]::ParameterName, 'Longest prompt accepted, in tokens (default: the context minus one)')
            [CompletionResult]::new('--max-total-tokens', '--max-total-tokens', [CompletionResultType]::ParameterName, 'Longest prompt plus completion, in tokens (default: the context); also the completion length when a request sets none')
            [CompletionResult]::new('--max-batch-total-tokens', '--max-batch-total-tokens', [CompletionResultType]::ParameterName, 'KV positions reserved by running sequences together (prompt + max tokens each); admission waits for room (default: max batch size x max total tokens)')
            [CompletionResult]::new('--max-queue', '--max-queue', [CompletionResultType]::ParameterName, 'Requests waiting for a batch slot before new ones get 429')
            [CompletionResult]::new('--ctx', '--ctx', [CompletionResultType]::ParameterName, 'Context length to serve (default: the model''s own; a smaller one caps memory)')
            [CompletionResult]::new('--cors-origin', '--cors-origin', [CompletionResultType]::ParameterName, 'Allow browsers from this origin (repeatable; `*` for any)')
            [CompletionResult]::new('--shutdown-timeout', '--shutdown-timeout', [CompletionResultType]::ParameterName, 'Seconds to let in-flight requests finish after SIGTERM or Ctrl-C')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--no-webui', '--no-webui', [CompletionResultType]::ParameterName, 'Do not serve the chat page at `/`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;env' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;completions' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Output directory')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format for data written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (terminal and no `NO_COLOR`), always or never')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Access token (overrides `HF_TOKEN` and the stored token); never printed')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for `--format json`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Hide progress and messages (repeat to silence errors'' hints too); data still goes to stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'hfx;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to the Hub with an access token and store it like huggingface_hub does')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove the active token, or one stored token with `--token-name`')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show the logged-in user and organizations')
            [CompletionResult]::new('auth', 'auth', [CompletionResultType]::ParameterValue, 'Manage stored tokens (list, switch)')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'Search models, datasets or spaces on the Hub')
            [CompletionResult]::new('download', 'download', [CompletionResultType]::ParameterValue, 'Download a repository snapshot or files into the shared cache and print the path')
            [CompletionResult]::new('upload', 'upload', [CompletionResultType]::ParameterValue, 'Upload files or folders to a Hub repository')
            [CompletionResult]::new('repo', 'repo', [CompletionResultType]::ParameterValue, 'Create and manage Hub repositories')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect and clean the local cache')
            [CompletionResult]::new('dataset', 'dataset', [CompletionResultType]::ParameterValue, 'Fetch, inspect and preview datasets')
            [CompletionResult]::new('tokenize', 'tokenize', [CompletionResultType]::ParameterValue, 'Tokenize text with a model''s tokenizer')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a model locally on a prompt')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Export a model to safetensors or GGUF (quantized, LoRA merged), or an adapter to a LoRA GGUF')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure prompt processing and generation speed (llama-bench style)')
            [CompletionResult]::new('finetune', 'finetune', [CompletionResultType]::ParameterValue, 'Fine-tune a model with LoRA')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a model over an OpenAI- and TGI-compatible HTTP API')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the resolved settings: endpoint, cache and token paths, features, devices')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages (one per subcommand) into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hfx;help;login' {
            break
        }
        'hfx;help;logout' {
            break
        }
        'hfx;help;whoami' {
            break
        }
        'hfx;help;auth' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List stored tokens (masked); `*` marks the active one')
            [CompletionResult]::new('switch', 'switch', [CompletionResultType]::ParameterValue, 'Make a stored token the active one')
            break
        }
        'hfx;help;auth;list' {
            break
        }
        'hfx;help;auth;switch' {
            break
        }
        'hfx;help;search' {
            break
        }
        'hfx;help;download' {
            break
        }
        'hfx;help;upload' {
            break
        }
        'hfx;help;repo' {
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Commit, files with sizes and LFS ids of a revision')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List files and folders (a tree listing)')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a repository')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a repository')
            [CompletionResult]::new('branch', 'branch', [CompletionResultType]::ParameterValue, 'Create or delete a branch')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Create, delete or list tags')
            break
        }
        'hfx;help;repo;info' {
            break
        }
        'hfx;help;repo;ls' {
            break
        }
        'hfx;help;repo;create' {
            break
        }
        'hfx;help;repo;delete' {
            break
        }
        'hfx;help;repo;branch' {
            break
        }
        'hfx;help;repo;tag' {
            break
        }
        'hfx;help;cache' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List cached repositories with sizes, refs and last access')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete repositories or revisions from the cache')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete detached revisions, orphan partial downloads and unreferenced blobs')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise)')
            break
        }
        'hfx;help;cache;ls' {
            break
        }
        'hfx;help;cache;rm' {
            break
        }
        'hfx;help;cache;prune' {
            break
        }
        'hfx;help;cache;verify' {
            break
        }
        'hfx;help;dataset' {
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download a dataset (or chosen configs/splits) into the cache and print the path')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show configs, splits, files, sizes, row counts and columns')
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Show the first rows of a split')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Convert a split to jsonl, parquet or csv, streaming')
            break
        }
        'hfx;help;dataset;fetch' {
            break
        }
        'hfx;help;dataset;info' {
            break
        }
        'hfx;help;dataset;preview' {
            break
        }
        'hfx;help;dataset;export' {
            break
        }
        'hfx;help;tokenize' {
            break
        }
        'hfx;help;run' {
            break
        }
        'hfx;help;convert' {
            break
        }
        'hfx;help;bench' {
            break
        }
        'hfx;help;finetune' {
            break
        }
        'hfx;help;serve' {
            break
        }
        'hfx;help;env' {
            break
        }
        'hfx;help;completions' {
            break
        }
        'hfx;help;man' {
            break
        }
        'hfx;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
