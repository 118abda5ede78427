namespace Bridge.Ledger;

/// <summary>
/// The message JavaScript's <c>JSON.parse</c> (V8, Node 20) gives for text that is not JSON, so that the
/// ledger WebSocket's -32700 errors read as five-bells-ledger's do. Only used once a real parser has
/// already refused the text; it scans, it does not build anything.
/// </summary>
internal static class JavaScriptJsonErrors
{
    // V8 shows the whole text when it is shorter than this, otherwise 10 characters of context each side.
    private const int ContextCharacters = 10;
    private const int MinimumLengthForContext = (ContextCharacters * 2) + 1;

    /// <summary>The <c>SyntaxError</c> message for <paramref name="text"/>, or null when V8 would accept it.</summary>
    public static string? Describe(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var scanner = new Scanner(text);
        try
        {
            scanner.SkipWhitespace();
            scanner.Value();
            scanner.SkipWhitespace();
            return scanner.AtEnd ? null : $"Unexpected non-whitespace character after JSON at position {scanner.Position}";
        }
        catch (JsonSyntaxError error)
        {
            return error.Message;
        }
    }

    private sealed class JsonSyntaxError(string message) : Exception(message);

    /// <summary>
    /// Scans one JSON value the way V8 does, reporting the first error as V8 words it. Iterative: the open
    /// objects and arrays are a stack of its own, so no depth of input can exhaust the call stack (issue 11).
    /// </summary>
    private sealed class Scanner(string text)
    {
        private readonly Stack<char> _open = new();
        private int _position;

        public int Position => _position;

        public bool AtEnd => _position >= text.Length;

        public void SkipWhitespace()
        {
            while (_position < text.Length && text[_position] is ' ' or '\t' or '\n' or '\r')
            {
                _position++;
            }
        }

        /// <summary>Scans one whole value, containers included, from the current position.</summary>
        public void Value()
        {
            while (true)
            {
                // One value starts here: a scalar is scanned whole; a container is entered (and may be empty).
                if (!StartValue())
                {
                    continue;
                }

                // A value ended: close every container that ends with it, until one expects another member.
                while (true)
                {
                    if (_open.Count == 0)
                    {
                        return;
                    }

                    var closer = _open.Peek();
                    if (AnotherMember(closer, closer == '}' ? "property value" : "array element"))
                    {
                        if (closer == '}')
                        {
                            PropertyName(first: false);
                        }

                        break;
                    }

                    _open.Pop();
                }
            }
        }

        /// <summary>True when a complete value was scanned; false when a non-empty container was entered (its first member comes next).</summary>
        private bool StartValue()
        {
            if (AtEnd)
            {
                throw UnexpectedToken();
            }

            switch (text[_position])
            {
                case '"':
                    String();
                    return true;
                case '{':
                    _position++;
                    SkipWhitespace();
                    if (!AtEnd && text[_position] == '}')
                    {
                        _position++;
                        return true;
                    }

                    _open.Push('}');
                    PropertyName(first: true);
                    return false;
                case '[':
                    _position++;
                    SkipWhitespace();
                    if (!AtEnd && text[_position] == ']')
                    {
                        _position++;
                        return true;
                    }

                    _open.Push(']');
                    return false;
                case 't':
                    Literal("true");
                    return true;
                case 'f':
                    Literal("false");
                    return true;
                case 'n':
                    Literal("null");
                    return true;
                case '-':
                case >= '0' and <= '9':
                    Number();
                    return true;
                default:
                    throw UnexpectedToken();
            }
        }

        /// <summary>A member's name and its colon; the value follows.</summary>
        private void PropertyName(bool first)
        {
            if (AtEnd || text[_position] != '"')
            {
                throw new JsonSyntaxError(first
                    ? $"Expected property name or '}}' in JSON at position {_position}"
                    : $"Expected double-quoted property name in JSON at position {_position}");
            }

            String();
            SkipWhitespace();
            if (AtEnd || text[_position] != ':')
            {
                throw new JsonSyntaxError($"Expected ':' after property name in JSON at position {_position}");
            }

            _position++;
            SkipWhitespace();
        }

        /// <summary>After a property value or an array element: true past a ',' (another follows), false past the closing bracket.</summary>
        private bool AnotherMember(char closer, string after)
        {
            SkipWhitespace();
            if (!AtEnd && text[_position] == ',')
            {
                _position++;
                SkipWhitespace();
                return true;
            }

            if (!AtEnd && text[_position] == closer)
            {
                _position++;
                return false;
            }

            throw new JsonSyntaxError($"Expected ',' or '{closer}' after {after} in JSON at position {_position}");
        }

        private void Literal(string literal)
        {
            foreach (var expected in literal)
            {
                if (AtEnd || text[_position] != expected)
                {
                    throw UnexpectedToken();
                }

                _position++;
            }
        }

        private void String()
        {
            _position++;
            while (true)
            {
                if (AtEnd)
                {
                    throw new JsonSyntaxError($"Unterminated string in JSON at position {_position}");
                }

                var c = text[_position];
                if (c == '"')
                {
                    _position++;
                    return;
                }

                if (c < 0x20)
                {
                    throw new JsonSyntaxError($"Bad control character in string literal in JSON at position {_position}");
                }

                if (c == '\\')
                {
                    _position++;
                    if (AtEnd)
                    {
                        throw new JsonSyntaxError($"Unterminated string in JSON at position {_position}");
                    }

                    var escaped = text[_position];
                    if (escaped == 'u')
                    {
                        for (var i = 0; i < 4; i++)
                        {
                            _position++;
                            if (AtEnd || !char.IsAsciiHexDigit(text[_position]))
                            {
                                throw new JsonSyntaxError($"Bad Unicode escape in JSON at position {_position}");
                            }
                        }
                    }
                    else if (escaped is not ('"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't'))
                    {
                        throw new JsonSyntaxError($"Bad escaped character in JSON at position {_position}");
                    }
                }

                _position++;
            }
        }

        private void Number()
        {
            if (text[_position] == '-')
            {
                _position++;
                if (AtEnd || !char.IsAsciiDigit(text[_position]))
                {
                    throw new JsonSyntaxError($"No number after minus sign in JSON at position {_position}");
                }
            }

            if (text[_position] == '0')
            {
                _position++;
                if (!AtEnd && char.IsAsciiDigit(text[_position]))
                {
                    throw new JsonSyntaxError($"Unexpected number in JSON at position {_position}");
                }
            }
            else
            {
                Digits();
            }

            if (!AtEnd && text[_position] == '.')
            {
                _position++;
                if (AtEnd || !char.IsAsciiDigit(text[_position]))
                {
                    throw new JsonSyntaxError($"Unterminated fractional number in JSON at position {_position}");
                }

                Digits();
            }

            if (!AtEnd && text[_position] is 'e' or 'E')
            {
                _position++;
                if (!AtEnd && text[_position] is '+' or '-')
                {
                    _position++;
                }

                if (AtEnd || !char.IsAsciiDigit(text[_position]))
                {
                    throw new JsonSyntaxError($"Exponent part is missing a number in JSON at position {_position}");
                }

                Digits();
            }
        }

        private void Digits()
        {
            while (!AtEnd && char.IsAsciiDigit(text[_position]))
            {
                _position++;
            }
        }

        private JsonSyntaxError UnexpectedToken()
        {
            if (AtEnd)
            {
                return new JsonSyntaxError("Unexpected end of JSON input");
            }

            var token = text[_position].ToString();
            if (text.Length < MinimumLengthForContext)
            {
                return new JsonSyntaxError($"Unexpected token '{token}', \"{text}\" is not valid JSON");
            }

            if (_position < ContextCharacters)
            {
                return new JsonSyntaxError($"Unexpected token '{token}', \"{text[..(_position + ContextCharacters)]}\"... is not valid JSON");
            }

            if (_position < text.Length - ContextCharacters)
            {
                var start = _position - ContextCharacters;
                return new JsonSyntaxError($"Unexpected token '{token}', ...\"{text[start..(_position + ContextCharacters)]}\"... is not valid JSON");
            }

            return new JsonSyntaxError($"Unexpected token '{token}', ...\"{text[(_position - ContextCharacters)..]}\" is not valid JSON");
        }
    }
}
