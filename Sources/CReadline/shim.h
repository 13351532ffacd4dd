// GNU readline and its history library, for CamlabREPL (the only Swift target that imports it).
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
