/* format.js: sizes, ages, rates and icons, worded as the app words them (common/ferry-units.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
'use strict';

const Format = {
  /* As g_format_size: decimal units, "1 byte", "12.5 MB". */
  size (bytes) {
    if (bytes === 1)
      return '1 byte';
    if (bytes < 1000)
      return bytes + ' bytes';
    const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
    let value = bytes / 1000;
    let i = 0;
    while (value >= 1000 && i < units.length - 1) {
      value /= 1000;
      i++;
    }
    return value.toFixed(1) + ' ' + units[i];
  },

  folder (files, bytes) {
    return (files === 1 ? '1 file' : files + ' files') + ' · ' + Format.size(bytes);
  },

  /* As ferry_format_age: a time ahead of ours is clock skew, "just now". */
  age (unixSeconds, nowSeconds) {
    const age = nowSeconds - unixSeconds;
    if (age < 60)
      return 'just now';
    const plural = (n, unit) => n + ' ' + unit + (n === 1 ? '' : 's') + ' ago';
    if (age < 3600)
      return plural(Math.floor(age / 60), 'minute');
    if (age < 86400)
      return plural(Math.floor(age / 3600), 'hour');
    return plural(Math.floor(age / 86400), 'day');
  },

  rate (bytesPerSecond) {
    return Format.size(Math.max(0, Math.round(bytesPerSecond || 0))) + '/s';
  },

  /* As ferry_format_duration: "45s", "3m 20s", "2h 05m", "3d 4h". */
  duration (seconds) {
    const s = Math.max(0, Math.round(seconds));
    const two = (n) => String(n).padStart(2, '0');
    if (s < 60)
      return s + 's';
    if (s < 3600)
      return Math.floor(s / 60) + 'm ' + two(s % 60) + 's';
    if (s < 86400)
      return Math.floor(s / 3600) + 'h ' + two(Math.floor((s % 3600) / 60)) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  },

  /* The icon class for an offer: by its name's extension, as the page knows no content type. */
  iconFor (offer) {
    if (offer.folder)
      return 'icon-folder';
    const dot = offer.name.lastIndexOf('.');
    const ext = dot > 0 ? offer.name.slice(dot + 1).toLowerCase() : '';
    for (const [icon, extensions] of Format.TYPES) {
      if (extensions.includes(ext))
        return icon;
    }
    return 'icon-generic';
  },

  TYPES: [
    ['icon-image', ['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg', 'bmp', 'tif', 'tiff', 'heic',
                    'avif', 'ico', 'xcf', 'raw', 'cr2', 'nef']],
    ['icon-video', ['mp4', 'mkv', 'webm', 'avi', 'mov', 'm4v', 'mpg', 'mpeg', 'ogv', 'wmv', '3gp']],
    ['icon-audio', ['mp3', 'ogg', 'oga', 'opus', 'flac', 'wav', 'm4a', 'aac', 'wma', 'mid']],
    ['icon-archive', ['zip', 'tar', 'gz', 'tgz', 'xz', 'txz', 'bz2', 'zst', '7z', 'rar', 'iso',
                      'deb', 'rpm', 'flatpak', 'jar', 'cab', 'dmg', 'apk']],
    ['icon-text', ['txt', 'md', 'pdf', 'doc', 'docx', 'odt', 'rtf', 'csv', 'json', 'xml', 'html',
                   'htm', 'log', 'ini', 'c', 'h', 'py', 'js', 'css', 'sh', 'ods', 'xls', 'xlsx',
                   'odp', 'ppt', 'pptx', 'tex', 'yaml', 'yml', 'toml', 'rs', 'go']],
  ],
};

window.Format = Format;
