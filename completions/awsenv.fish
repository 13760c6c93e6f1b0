complete --keep-order --exclusive --command awsenv --arguments "(COMPLETE=fish awsenv -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
