"""What the command lines (`python -m mathglm.<cli>`) share: the checks of numeric config values
(`config_checks`: a value out of its range is a one-line `ValueError` naming its key, raised by the typed classes
the command lines build, which is why `data`, `training` and `inference` import it too), and the flags and output
helpers several command lines use."""
