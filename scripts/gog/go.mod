module mailwarden.local/gogbuild

go 1.26.5

require github.com/steipete/gogcli v0.34.1
