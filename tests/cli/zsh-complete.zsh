# zsh-complete.zsh DIR LINE WANT: types LINE and a Tab into an interactive
# zsh whose fpath starts with DIR (which holds _cutover), and succeeds when
# what zsh then shows contains WANT. Used by the completion cases.
zmodload zsh/zpty
dir=${1:a} line=$2 want=$3
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D; unsetopt beep"
zpty -w -n z "$line"$'\t'
all='' out=''
for i in {1..150}; do
  zpty -r -t z out && all+=$out
  [[ ${all//$'\r'/} == *$want* ]] && { zpty -d z; exit 0 }
  sleep 0.1
done
zpty -d z
print -r -- "zsh showed: ${all//$'\r'/}" >&2
exit 1
